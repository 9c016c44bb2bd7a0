"""Errors in the browser: each beside its field, tied to it by aria-describedby, focus on the first one, in
the page's language (from the violation codes, never the server's English message)."""

from __future__ import annotations

import pytest

from tests.helpers.browser import Browser
from tests.helpers.client import Api
from tests.helpers.page_flows import JAPANESE, described_by, error, page_url, sign_up


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_short_password_and_a_missing_name_are_shown_beside_their_fields(
    page: Browser, embedded_api: Api, unique: str, lang: str
) -> None:
    page.open(page_url(str(embedded_api.http.base_url), "shop", "sign-up", lang=lang))
    embedded_api.secrets.add("short1")
    # shop wants 10 characters with a digit and a lowercase letter, and a name.
    sign_up(page, {"username": f"err-{unique}@shop.example", "password": "short1"})

    for name in ("password", "name"):
        text = error(page, name)
        assert text, f"no error shown for {name}"
        assert bool(JAPANESE.search(text)) == (lang == "ja"), text
        assert f"error-{name}" in described_by(page, name)
        assert page.field(name).get_attribute("aria-invalid") == "true"
    # No error on the fields that were fine.
    assert not page.driver.find_element("css selector", '[id="error-username"]').text
    # Focus went to the first field in error, in the form's order.
    first = page.driver.execute_script(
        "return [...document.querySelectorAll('#sign-up-form [aria-invalid=true]')].map(e => e.id)[0]"
    )
    assert page.focused_id() == first
    assert page.axe() == []  # the page with its errors is as accessible as without
