"""The browser tests' fixtures: one headless Chromium for the session, and a clean page for each test that
fails the test on any request to a host other than regapi's, any console error and any CSP violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.browser import Browser, missing, started
from tests.helpers.client import Api


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    with started(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser, embedded_api: Api, client_address: str) -> Iterator[Browser]:
    """The browser on a blank page, sending this test's client address; pages may reach regapi only (a
    test serving an app of its own adds that app's origin to `page.origins`)."""
    browser.reset(origins={str(embedded_api.http.base_url)}, address=client_address)
    yield browser
    problems = browser.problems()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)
