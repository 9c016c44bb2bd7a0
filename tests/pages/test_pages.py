"""The hosted pages over HTTP, without a browser: what the server writes into each page (language,
branding, the links between pages, the notice of a tenant without sign-up) and the headers that hold the
pages to regapi's own origin. tests/browser/ drives the same pages in Chromium."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from api.pages.shell import PAGES
from tests.helpers.client import Api

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SETTINGS = re.compile(r'<script type="application/json" id="page-config">(.*?)</script>', re.DOTALL)


def page(api: Api, path: str, **headers: str) -> httpx.Response:
    response = api.http.get(path, headers=headers)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response


def settings(response: httpx.Response) -> dict[str, Any]:
    match = SETTINGS.search(response.text)
    assert match, "the page carries no settings block"
    value: dict[str, Any] = json.loads(match.group(1))
    return value


def html_lang(response: httpx.Response) -> str:
    match = re.search(r'<html lang="([a-z]+)">', response.text)
    assert match
    return match.group(1)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_served_with_a_strict_policy_and_no_framing(embedded_api: Api, name: str) -> None:
    response = page(embedded_api, f"/t/shop/{name}")
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"  # the URLs carry ?username=
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    assert headers["vary"] == "Accept-Language"
    assert "<h1" in response.text
    # No inline script or style: the only <script> without src is the JSON data block, which is not run.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == [
        '<script type="application/json" id="page-config">'
    ]
    assert " style=" not in response.text
    assert "<style" not in response.text


def test_a_page_head_is_answered_too(embedded_api: Api) -> None:
    response = embedded_api.http.head("/t/shop/sign-in")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP


@pytest.mark.parametrize(
    ("query", "accept_language", "chosen"),
    [
        ("", None, "en"),  # shop lists [en, ja]: the first without anything else to go by
        ("", "ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("", "fr-FR, ja;q=0.5, en;q=0.4", "ja"),  # French is not offered: the next the browser accepts
        ("", "en;q=0.2, ja;q=0.9", "ja"),  # by quality, not by order
        ("", "ja;q=0, fr", "en"),  # q=0 refuses Japanese
        ("", "*", "en"),
        ("?lang=ja", "en", "ja"),  # ?lang= over the browser
        ("?lang=fr", "ja", "ja"),  # a language not offered is ignored
        ("?lang=JA", None, "en"),  # the codes are lowercase
    ],
)
def test_the_language_is_the_query_then_the_browser_then_the_policy(
    embedded_api: Api, query: str, accept_language: str | None, chosen: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    response = page(embedded_api, f"/t/shop/sign-in{query}", **headers)
    assert html_lang(response) == chosen
    assert response.headers["content-language"] == chosen
    assert settings(response)["lang"] == chosen


def test_the_policys_first_language_is_the_default(embedded_api: Api) -> None:
    """acme lists [ja, en]: Japanese unless the page is asked for in English."""
    assert html_lang(page(embedded_api, "/t/acme/sign-in")) == "ja"
    assert html_lang(page(embedded_api, "/t/acme/sign-in", **{"Accept-Language": "en-GB"})) == "en"


def test_texts_and_names_are_in_the_pages_language(embedded_api: Api) -> None:
    english = page(embedded_api, "/t/shop/sign-up?lang=en")
    japanese = page(embedded_api, "/t/shop/sign-up?lang=ja")
    assert "<title>Create your account \N{EN DASH} Example Shop</title>" in english.text
    assert "<title>アカウントの作成 \N{EN DASH} サンプルショップ</title>" in japanese.text  # pages.display_name.ja
    assert settings(english)["messages"]["violation.REQUIRED_ATTRIBUTE_MISSING"] == "{label} is required."
    assert settings(japanese)["messages"]["violation.REQUIRED_ATTRIBUTE_MISSING"] == "{label}を入力してください。"
    # The links to the other languages keep the page and the username.
    prefilled = page(embedded_api, "/t/shop/confirm?lang=en&username=ann%40shop.example")
    assert 'href="/t/shop/confirm?lang=ja&amp;username=ann%40shop.example" hreflang="ja" lang="ja">日本語' in (
        prefilled.text
    )
    assert 'hreflang="en" lang="en" aria-current="true">English' in prefilled.text


def test_the_policys_labels_replace_the_pages_own(embedded_api: Api) -> None:
    english = settings(page(embedded_api, "/t/shop/sign-up?lang=en"))
    japanese = settings(page(embedded_api, "/t/shop/sign-up?lang=ja"))
    assert english["messages"]["attribute.custom:plan"] == "Plan"
    assert japanese["messages"]["attribute.custom:plan"] == "プラン"
    assert japanese["messages"]["attribute.name"] == "氏名"  # the pages' own, where the policy names none
    # Where the policy names no label, the pages' own (none for a custom attribute: the SPA shows its name).
    assert "attribute.custom:employee_id" not in settings(page(embedded_api, "/t/acme/sign-in?lang=en"))["messages"]


def test_the_settings_tell_the_spa_what_the_policy_says(embedded_api: Api) -> None:
    shop = settings(page(embedded_api, "/t/shop/sign-up?lang=en"))
    assert {key: shop[key] for key in ("tenant", "page", "lang", "displayName", "usernameKind", "selfSignUp")} == {
        "tenant": "shop",
        "page": "sign-up",
        "lang": "en",
        "displayName": "Example Shop",
        "usernameKind": "EMAIL",
        "selfSignUp": True,
    }
    acme = settings(page(embedded_api, "/t/acme/sign-in?lang=en"))
    assert (acme["usernameKind"], acme["selfSignUp"]) == ("USERNAME", False)


def test_a_tenant_without_sign_up_says_so_and_has_no_form(embedded_api: Api) -> None:
    for language, text in (("en", "ACME Corp registers its users by invitation only"), ("ja", "ACME Corpは招待制")):
        response = page(embedded_api, f"/t/acme/sign-up?lang={language}")
        assert response.status_code == 200
        assert f'<p id="sign-up-disabled" class="notice">{text}' in response.text
        assert 'id="app"' not in response.text  # where the SPA would build the form
        assert "<form" not in response.text
    # Nor does its sign-in page offer a way to sign up; shop's does.
    assert "/t/acme/sign-up" not in page(embedded_api, "/t/acme/sign-in?lang=en").text
    assert 'href="/t/shop/sign-up?lang=en">Create an account</a>' in page(embedded_api, "/t/shop/sign-in?lang=en").text


def test_the_done_page_leads_back_to_the_tenants_app(embedded_api: Api) -> None:
    response = page(embedded_api, "/t/shop/done?lang=en")
    assert '<section id="done">' in response.text
    assert '<a class="button" href="https://shop.example/account">Continue to Example Shop</a>' in response.text
    japanese = page(embedded_api, "/t/acme/done?lang=ja")
    assert '<a class="button" href="https://hr.acme.example/">ACME Corpへ進む</a>' in japanese.text
    # coop names no return_url: the page says it is done and links nowhere.
    coop = page(embedded_api, "/t/coop/done?lang=en")
    assert '<section id="done">' in coop.text
    assert 'class="button"' not in coop.text


@pytest.mark.parametrize("path", ["/t/nobody/sign-up", "/t/shop/profile", "/t/shop/theme.js", "/t/Shop/sign-in"])
def test_an_unknown_tenant_or_page_is_a_404_page(embedded_api: Api, path: str) -> None:
    response = page(embedded_api, path, **{"Accept-Language": "ja"})
    assert response.status_code == 404
    assert response.headers["content-security-policy"] == CSP
    assert html_lang(response) == "ja"
    assert "<h1>ページが見つかりません</h1>" in response.text
    assert "page-config" not in response.text  # nothing of any tenant, nor the SPA


def test_the_tenants_colour_comes_in_a_stylesheet_with_text_that_reads_on_it(embedded_api: Api) -> None:
    shop = embedded_api.http.get("/t/shop/theme.css")
    assert shop.status_code == 200
    assert shop.headers["content-type"].startswith("text/css")
    assert "--brand: #00aa55;" in shop.text  # "#0a5", expanded
    assert "--on-brand: #000000;" in shop.text  # white on that green would not read
    assert "--on-brand: #ffffff;" in embedded_api.http.get("/t/acme/theme.css").text
    assert '<link rel="stylesheet" href="/t/shop/theme.css">' in page(embedded_api, "/t/shop/sign-in").text
    # coop names no colour: no stylesheet to link, none to serve.
    assert "theme.css" not in page(embedded_api, "/t/coop/sign-in").text
    assert embedded_api.http.get("/t/coop/theme.css").status_code == 404


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),  # browsers run module scripts of a JavaScript type only
        ("form.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
def test_static_files_are_served_with_their_type_and_validators(embedded_api: Api, name: str, media_type: str) -> None:
    response = embedded_api.http.get(f"/pages/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    again = embedded_api.http.get(f"/pages/static/{name}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/pages/static/../app.py", "/pages/static/%2e%2e/shell.py", "/pages/static/nope.js"])
def test_no_file_outside_the_static_directory_is_served(embedded_api: Api, path: str) -> None:
    assert embedded_api.http.get(path).status_code == 404
