"""The steps of the flows as a frontend takes them, over the `Api` client.

The self-service steps default to the `shop` tenant (e-mail usernames, open sign-up); `respond`, the
answer to the first sign-in challenge of an invited user, to `acme` (invitation only).
"""

from __future__ import annotations

from typing import Any

from tests.helpers.client import Api
from tests.helpers.documents import (
    ADMIN_RESET_PASSWORD,
    CONFIRM_FORGOT_PASSWORD,
    CONFIRM_SIGN_UP,
    FORGOT_PASSWORD,
    RESEND_CODE,
    RESPOND_NEW_PASSWORD,
    SIGN_IN,
    SIGN_UP,
    attrs,
)

PASSWORD = "correct horse 42"  # fits shop's policy
NEW_PASSWORD = "Corr3ct-Horse-Battery"  # fits acme's stricter one


def sign_up(api: Api, username: str, tenant: str = "shop", password: str = PASSWORD, **attributes: str) -> Any:
    if not attributes and tenant == "shop":
        attributes = {"name": "Ann Example", "custom_plan": "pro"}
    variables = {
        "input": {"tenant": tenant, "username": username, "password": password, "attributes": attrs(**attributes)}
    }
    return api.data(SIGN_UP, variables)


def confirm(api: Api, username: str, code: str, tenant: str = "shop") -> Any:
    return api.data(CONFIRM_SIGN_UP, {"input": {"tenant": tenant, "username": username, "code": code}})


def resend(api: Api, username: str, tenant: str = "shop") -> Any:
    return api.data(RESEND_CODE, {"input": {"tenant": tenant, "username": username}})


def sign_in(api: Api, username: str, password: str = PASSWORD, tenant: str = "shop") -> Any:
    return api.data(SIGN_IN, {"input": {"tenant": tenant, "username": username, "password": password}})


def respond(
    api: Api, username: str, session: str, password: str = NEW_PASSWORD, tenant: str = "acme", **values: str
) -> Any:
    """Answer the new-password challenge of a first sign-in, with the attributes still missing."""
    variables = {
        "input": {
            "tenant": tenant,
            "username": username,
            "session": session,
            "newPassword": password,
            "attributes": attrs(**values),
        }
    }
    return api.data(RESPOND_NEW_PASSWORD, variables)


def wrong(code: str) -> str:
    """Another six-digit code than `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def forgot(api: Api, username: str, tenant: str = "shop") -> Any:
    return api.data(FORGOT_PASSWORD, {"input": {"tenant": tenant, "username": username}})


def confirm_forgot(api: Api, username: str, code: str, password: str, tenant: str = "shop") -> Any:
    variables = {"input": {"tenant": tenant, "username": username, "code": code, "newPassword": password}}
    return api.data(CONFIRM_FORGOT_PASSWORD, variables)


def admin_reset(api: Api, username: str, key: str, tenant: str = "shop") -> Any:
    return api.data(ADMIN_RESET_PASSWORD, {"input": {"tenant": tenant, "username": username}}, token=key)
