"""The flows as a person takes them through the hosted pages, in the browser.

Each step fills a form by the pages' contract (forms by id, inputs `id="field-<name>"`, errors
`id="error-<name>"`), submits it and waits for what comes next: the next page, or the next state of the
same page (sign-in's first-login step). Nothing here reads the pages' code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from tests.helpers.browser import Browser

# Hiragana, Katakana and the CJK ideographs: what a page in Japanese shows and one in English does not.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def page_url(base: str, tenant: str, name: str, **query: str | None) -> str:
    given = {key: value for key, value in query.items() if value is not None}
    return f"{base.rstrip('/')}/t/{tenant}/{name}" + (f"?{urlencode(given)}" if given else "")


def language(page: Browser) -> str:
    """The page's language, as `<html lang>` declares it."""
    return str(page.driver.execute_script("return document.documentElement.lang"))


def heading(page: Browser) -> str:
    return page.text("h1")


def at(page: Browser, path: str) -> None:
    """Wait until the browser has navigated to the page `path` (e.g. "/t/shop/confirm")."""
    page.wait(lambda driver: driver.current_url.split("?")[0].endswith(path), f"never reached {path}: {page.url}")


def sign_up(page: Browser, values: Mapping[str, str]) -> None:
    """On the sign-up page: fill the form and send it (the caller waits for what follows)."""
    page.fill(values)
    page.submit("sign-up-form")


def confirm(page: Browser, code: str) -> None:
    page.fill({"code": code})
    page.submit("confirm-form")


def sign_in(page: Browser, username: str, password: str) -> None:
    page.fill({"username": username, "password": password})
    page.submit("sign-in-form")


def first_login(page: Browser, values: Mapping[str, str]) -> None:
    """Sign-in's first-login step: the new password and the attributes still missing."""
    page.find('form[id="new-password-form"]')
    page.fill(values)
    page.submit("new-password-form")


def error(page: Browser, name: str) -> str:
    """The text of a field's error (`id="error-<name>"`), once it is shown."""
    return page.text(f'[id="error-{name}"]')


def described_by(page: Browser, name: str) -> list[str]:
    return str(page.field(name).get_attribute("aria-describedby") or "").split()
