"""Invitations as an administrator sees them: status, resend, and expiry by the tenant's own validity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.helpers import ACME_KEY, SHOP_KEY
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, attrs
from tests.helpers.flows import NEW_PASSWORD, respond, sign_in

INVITATION = """
query One($tenant: ID!, $username: String!) {
  invitation(tenant: $tenant, username: $username) { username status userStatus invitedAt expiresAt }
}
"""
INVITATIONS = """
query All($tenant: ID!, $status: InvitationStatus) {
  invitations(tenant: $tenant, status: $status) { username status }
}
"""
RESEND_INVITATION = """
mutation Resend($input: ResendInvitationInput!) {
  resendInvitation(input: $input) {
    __typename
    ... on ResendInvitationSuccess { username temporaryPasswordExpiresAt }
    ... on RegistrationError { code field }
    ... on PolicyDenied { code }
  }
}
"""


def invite(api: Api, username: str, tenant: str = "acme", key: str = ACME_KEY) -> None:
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E765432") if tenant == "acme" else []
    result = api.data(
        INVITE_USER, {"input": {"tenant": tenant, "username": username, "attributes": attributes}}, token=key
    )
    assert result["__typename"] == "InviteUserSuccess", result


def invitation(api: Api, username: str, tenant: str = "acme", key: str = ACME_KEY) -> Any:
    return api.data(INVITATION, {"tenant": tenant, "username": username}, token=key)


def resend(api: Api, username: str, key: str = ACME_KEY) -> Any:
    return api.data(RESEND_INVITATION, {"input": {"tenant": "acme", "username": username}}, token=key)


def test_an_invitation_is_pending_then_accepted(api: Api, unique: str) -> None:
    username = f"inv-{unique}"
    invite(api, username)
    pending = invitation(api, username)
    assert (pending["status"], pending["userStatus"]) == ("PENDING", "FORCE_CHANGE_PASSWORD")
    invited_at = datetime.fromisoformat(pending["invitedAt"])
    assert datetime.fromisoformat(pending["expiresAt"]) - invited_at == timedelta(days=7)
    listed = api.data(INVITATIONS, {"tenant": "acme", "status": "PENDING"}, token=ACME_KEY)
    assert {"username": username, "status": "PENDING"} in listed

    challenge = sign_in(api, username, api.temporary_password("acme", username), tenant="acme")
    assert respond(api, username, challenge["session"], name="Invited")["__typename"] == "SignInSuccess"
    accepted = invitation(api, username)
    assert (accepted["status"], accepted["userStatus"]) == ("ACCEPTED", "CONFIRMED")
    assert resend(api, username)["code"] == "ALREADY_CONFIRMED"


def test_listing_shows_only_this_tenants_invitations(api: Api, unique: str) -> None:
    mine, theirs = f"mine-{unique}", f"theirs-{unique}@shop.example"
    invite(api, mine)
    invite(api, theirs, tenant="shop", key=SHOP_KEY)
    listed = {i["username"] for i in api.data(INVITATIONS, {"tenant": "acme"}, token=ACME_KEY)}
    assert mine in listed
    assert theirs not in listed
    assert invitation(api, theirs) is None
    assert resend(api, f"nobody-{unique}")["code"] == "USER_NOT_FOUND"


def test_invitation_queries_need_the_tenants_key(api: Api, unique: str) -> None:
    for token in (None, SHOP_KEY):
        body = api.gql(INVITATIONS, {"tenant": "acme"}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    assert resend(api, f"x-{unique}", key=SHOP_KEY)["code"] == "NOT_AUTHORIZED"


def test_an_expired_invitation_is_reported_and_resent(embedded_api: Api, unique: str) -> None:
    api = embedded_api
    username = f"exp-{unique}"
    invite(api, username)
    old = api.temporary_password("acme", username)
    api.advance(timedelta(days=7, minutes=1))
    assert invitation(api, username)["status"] == "EXPIRED"
    assert sign_in(api, username, old, tenant="acme")["code"] == "INVITATION_EXPIRED"

    resent = resend(api, username)
    assert resent["__typename"] == "ResendInvitationSuccess"
    assert datetime.fromisoformat(resent["temporaryPasswordExpiresAt"]) - api.now() > timedelta(days=6)
    fresh = api.temporary_password("acme", username)
    assert fresh != old
    assert invitation(api, username)["status"] == "PENDING"
    challenge = sign_in(api, username, fresh, tenant="acme")
    assert respond(api, username, challenge["session"], password=NEW_PASSWORD, name="Late")["__typename"] == (
        "SignInSuccess"
    )


def test_a_tenants_own_validity_applies_in_a_shared_pool(embedded_api: Api, unique: str) -> None:
    """south gives 2 days; its pool, shared with north, keeps temporary passwords for 7."""
    api = embedded_api
    username = f"short-{unique}@regional.example"
    assert (
        api.data(
            INVITE_USER, {"input": {"tenant": "south", "username": username, "attributes": []}}, token="south-admin-key"
        )["__typename"]
        == "InviteUserSuccess"
    )
    api.advance(timedelta(days=3))
    result = sign_in(api, username, api.temporary_password("south", username), tenant="south")
    assert result["code"] == "INVITATION_EXPIRED"
