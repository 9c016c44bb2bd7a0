"""Two tenants on one user pool (north: open sign-up; south: invitation only, strict passwords).

Every user is stamped with the write-once custom:tenant_id at creation; each tenant treats the other's
users exactly as unknown users, so the looser tenant can never open the stricter one's accounts.
"""

from __future__ import annotations

from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, codes
from tests.helpers.flows import confirm, resend, sign_in, sign_up

SOUTH_KEY = "south-admin-key"
NORTH_KEY = "north-admin-key"
PASSWORD = "lenient1"


def north_user(api: Api, username: str, *, confirmed: bool = True) -> None:
    assert sign_up(api, username, tenant="north", password=PASSWORD)["__typename"] == "SignUpSuccess"
    if confirmed:
        assert confirm(api, username, api.last_code("north", username), tenant="north")["__typename"] == (
            "ConfirmSignUpSuccess"
        )


def test_a_users_tenant_is_the_one_it_registered_with(api: Api, unique: str) -> None:
    username = f"n-{unique}@regional.example"
    north_user(api, username)
    assert sign_in(api, username, PASSWORD, tenant="north")["__typename"] == "SignInSuccess"
    through_south = sign_in(api, username, PASSWORD, tenant="south")
    assert through_south == sign_in(api, f"ghost-{unique}@regional.example", PASSWORD, tenant="south")
    assert through_south["code"] == "NOT_AUTHORIZED"


def test_pending_users_of_one_tenant_are_unknown_to_the_other(api: Api, unique: str) -> None:
    username = f"p-{unique}@regional.example"
    north_user(api, username, confirmed=False)
    code = api.last_code("north", username)
    assert confirm(api, username, code, tenant="south")["code"] == "CODE_MISMATCH"
    assert resend(api, username, tenant="south")["__typename"] == "ResendConfirmationCodeSuccess"
    assert api.outbox("south", username) == []  # the other tenant's resend sent nothing
    assert len(api.outbox("north", username)) == 1
    assert confirm(api, username, code, tenant="north")["__typename"] == "ConfirmSignUpSuccess"


def test_an_invitee_cannot_finish_the_first_sign_in_through_the_looser_tenant(api: Api, unique: str) -> None:
    username = f"s-{unique}@regional.example"
    invited = api.data(
        INVITE_USER, {"input": {"tenant": "south", "username": username, "attributes": []}}, token=SOUTH_KEY
    )
    assert invited["__typename"] == "InviteUserSuccess"
    temporary = api.temporary_password("south", username)
    assert sign_in(api, username, temporary, tenant="north")["code"] == "NOT_AUTHORIZED"
    assert sign_in(api, username, temporary, tenant="south")["__typename"] == "NewPasswordRequired"


def test_clients_cannot_claim_a_tenant(api: Api, unique: str) -> None:
    result = sign_up(api, f"c-{unique}@regional.example", tenant="north", password=PASSWORD, custom_tenant_id="south")
    assert codes(result) == {("RESERVED_ATTRIBUTE", "custom:tenant_id")}


def test_usernames_are_unique_across_the_pool(api: Api, unique: str) -> None:
    """A pool holds one user per name: south's admin learns the name is taken (the admin path may)."""
    username = f"u-{unique}@regional.example"
    north_user(api, username)
    taken = api.data(
        INVITE_USER, {"input": {"tenant": "south", "username": username, "attributes": []}}, token=SOUTH_KEY
    )
    assert (taken["__typename"], taken["code"]) == ("RegistrationError", "USERNAME_EXISTS")


def test_invitations_of_one_tenant_are_invisible_to_the_other(api: Api, unique: str) -> None:
    username = f"iv-{unique}@regional.example"
    invited = api.data(
        INVITE_USER, {"input": {"tenant": "south", "username": username, "attributes": []}}, token=SOUTH_KEY
    )
    assert invited["__typename"] == "InviteUserSuccess"
    query = "query($t: ID!, $u: String!) { invitation(tenant: $t, username: $u) { status } }"
    assert api.data(query, {"t": "south", "u": username}, token=SOUTH_KEY) == {"status": "PENDING"}
    assert api.data(query, {"t": "north", "u": username}, token=NORTH_KEY) is None
    resend = (
        "mutation($i: ResendInvitationInput!) { resendInvitation(input: $i) { ... on RegistrationError { code } } }"
    )
    assert api.data(resend, {"i": {"tenant": "north", "username": username}}, token=NORTH_KEY) == {
        "code": "USER_NOT_FOUND"
    }
