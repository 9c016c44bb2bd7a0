"""The pages outside the two main flows, in the browser: password recovery end to end, a tenant whose
sign-up is off, and the language chosen when the URL names none; axe-core on each."""

from __future__ import annotations

from selenium.webdriver.common.keys import Keys

from tests.helpers.browser import Browser
from tests.helpers.client import Api
from tests.helpers.flows import PASSWORD, confirm, sign_up
from tests.helpers.flows import sign_in as sign_in_api
from tests.helpers.page_flows import JAPANESE, at, heading, language, page_url


def test_forgot_password_then_sign_in_with_the_new_one(page: Browser, embedded_api: Api, unique: str) -> None:
    username = f"lost-{unique}@shop.example"
    sign_up(embedded_api, username)
    confirm(embedded_api, username, embedded_api.last_code("shop", username))
    new_password = f"new horse {unique[:4]} 7"
    embedded_api.secrets.add(new_password)

    page.open(page_url(str(embedded_api.http.base_url), "shop", "forgot-password", lang="ja"))
    assert language(page) == "ja"
    assert page.axe() == []
    page.fill({"username": username})
    page.submit("forgot-form")

    page.find('form[id="reset-form"]')
    assert page.axe() == []
    page.fill({"code": embedded_api.last_code("shop", username, "PASSWORD_RESET_CODE"), "newPassword": new_password})
    page.submit("reset-form")

    at(page, "/t/shop/sign-in")
    assert sign_in_api(embedded_api, username, new_password)["__typename"] == "SignInSuccess"
    assert sign_in_api(embedded_api, username, PASSWORD)["__typename"] != "SignInSuccess"


def test_a_tenant_without_self_sign_up_shows_no_form_and_says_so(page: Browser, embedded_api: Api) -> None:
    page.open(page_url(str(embedded_api.http.base_url), "acme", "sign-up", lang="en"))
    page.find("h1")
    page.wait(lambda driver: page.text("main"), "the page says nothing")
    assert not page.driver.find_elements("css selector", 'form[id="sign-up-form"]')
    assert page.axe() == []


def test_the_language_follows_the_browser_and_then_the_policy(page: Browser, embedded_api: Api) -> None:
    url = page_url(str(embedded_api.http.base_url), "shop", "sign-in")
    page.languages("ja")
    page.open(url)
    assert language(page) == "ja"
    assert JAPANESE.search(heading(page))
    page.languages("fr-FR,de;q=0.8")  # neither is offered: the policy's first language
    page.open(url)
    assert language(page) == "en"
    page.open(page_url(str(embedded_api.http.base_url), "shop", "sign-in", lang="ja"))  # ?lang= wins
    assert language(page) == "ja"


def test_sign_in_by_keyboard_alone(page: Browser, embedded_api: Api, unique: str) -> None:
    username = f"keys-{unique}@shop.example"
    sign_up(embedded_api, username)
    confirm(embedded_api, username, embedded_api.last_code("shop", username))
    page.open(page_url(str(embedded_api.http.base_url), "shop", "sign-in", lang="en"))
    page.field("username")
    for _ in range(20):  # Tab through the header's links to the form
        if page.focused_id() == "field-username":
            break
        page.driver.switch_to.active_element.send_keys(Keys.TAB)
    assert page.focused_id() == "field-username"
    page.driver.switch_to.active_element.send_keys(username, Keys.TAB)
    assert page.focused_id() == "field-password"
    page.driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    at(page, "/t/shop/done")
