"""Both flows of the seed documents end to end through the hosted pages, in headless Chromium on the
embedded Cognito, in English and in Japanese; axe-core checks every page the flow passes through.

`shop`: self sign-up -> confirm with the e-mailed code -> sign in -> done. `acme`: HR invites through
GraphQL with the tenant's API key -> the user signs in with the temporary password -> the first-login
step (a new password, the attributes still missing, the ones HR set shown locked) -> done.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.policy import load_directory
from tests.helpers import ACME_KEY
from tests.helpers.browser import Browser
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, attrs
from tests.helpers.flows import NEW_PASSWORD, PASSWORD
from tests.helpers.flows import sign_in as sign_in_api
from tests.helpers.page_flows import (
    JAPANESE,
    at,
    confirm,
    first_login,
    heading,
    language,
    page_url,
    sign_in,
    sign_up,
)


def leads_back(page: Browser, policy_dir: Path, tenant: str) -> None:
    """The done page leads back to the tenant's app, `pages.return_url`."""
    return_url = load_directory(policy_dir)[tenant].policy.pages.return_url
    assert return_url
    assert page.find("section#done a[href]").get_attribute("href") == return_url


def check_page(page: Browser, lang: str) -> None:
    """The page speaks `lang` and axe-core finds nothing serious on it."""
    assert language(page) == lang
    assert bool(JAPANESE.search(heading(page))) == (lang == "ja"), heading(page)
    assert page.axe() == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_self_sign_up_confirm_and_sign_in(
    page: Browser, embedded_api: Api, policy_dir: Path, unique: str, lang: str
) -> None:
    base = str(embedded_api.http.base_url)
    username = f"page-{unique}@shop.example"
    embedded_api.secrets.add(PASSWORD)
    page.open(page_url(base, "shop", "sign-up", lang=lang))
    check_page(page, lang)
    name = "山田 花子" if lang == "ja" else "Ann Example"
    sign_up(page, {"username": username, "password": PASSWORD, "name": name})

    at(page, "/t/shop/confirm")
    assert page.field("username").get_attribute("value") == username  # prefilled from ?username=
    check_page(page, lang)
    confirm(page, embedded_api.last_code("shop", username))

    at(page, "/t/shop/sign-in")
    check_page(page, lang)
    sign_in(page, username, PASSWORD)

    at(page, "/t/shop/done")
    check_page(page, lang)
    leads_back(page, policy_dir, "shop")
    # The account is real: the API signs the same person in.
    assert sign_in_api(embedded_api, username)["__typename"] == "SignInSuccess"


def invite(api: Api, username: str) -> None:
    """As HR's system would: inviteUser with acme's API key."""
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "attributes": attrs(email=f"{username}@acme.example", custom_employee_id="E123456"),
        }
    }
    assert api.data(INVITE_USER, variables, token=ACME_KEY)["__typename"] == "InviteUserSuccess"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_invitation_and_first_login(page: Browser, embedded_api: Api, policy_dir: Path, unique: str, lang: str) -> None:
    base = str(embedded_api.http.base_url)
    username = f"page{unique}"
    invite(embedded_api, username)
    temporary = embedded_api.temporary_password("acme", username)
    embedded_api.secrets.add(NEW_PASSWORD)
    # Japanese from the browser's own settings this time, not from ?lang=.
    page.languages("ja,en;q=0.5" if lang == "ja" else "en-US,en")
    page.open(page_url(base, "acme", "sign-in"))
    check_page(page, lang)
    sign_in(page, username, temporary)

    page.find('form[id="new-password-form"]')
    check_page(page, lang)
    # What HR set is shown, locked; what is missing is asked for.
    email, employee = page.field("email"), page.field("custom:employee_id")
    assert email.get_attribute("value") == f"{username}@acme.example"
    assert employee.get_attribute("value") == "E123456"
    for locked in (email, employee):
        assert locked.get_attribute("readonly") is not None or not locked.is_enabled()
    assert page.field("name").get_attribute("required") is not None
    first_login(page, {"newPassword": NEW_PASSWORD, "name": "Jane Doe" if lang == "en" else "山田 太郎"})

    at(page, "/t/acme/done")
    check_page(page, lang)
    leads_back(page, policy_dir, "acme")
    assert sign_in_api(embedded_api, username, NEW_PASSWORD, tenant="acme")["__typename"] == "SignInSuccess"
