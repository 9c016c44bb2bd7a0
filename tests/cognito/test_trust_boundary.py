"""The trust boundary on a provisioned pool: what a user can do with their own access token at Cognito.

A signed-in user holds an access token, and UpdateUserAttributes takes nothing else (no client secret):
they can call it without regapi. On a pool and app client made from the policy (pool_parameters,
client_parameters) that call can write what profile_update may write, and nothing the policy keeps from
it: not an attribute only administrators change (it is not in the client's WriteAttributes), not a
write-once or creation-only one, nor regapi's stamps (immutable in the pool), nor email_verified.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from api.clock import ManualClock
from api.cognito.embedded import EmbeddedCognito
from api.cognito.embedded.outbox import Outbox
from api.cognito.pool_config import client_parameters, pool_parameters
from api.cognito.shapes import secret_hash
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE, Policy

PASSWORD = "Trust pass 1234"
USERNAME = "ann@shop.example"
POLICY = Policy.model_validate(
    {
        "version": 1,
        "display_name": "Trust",
        "cognito": {"user_pool": "trust"},
        "registration": {"self_signup": True},
        "username": {"kind": "email"},
        "attributes": {
            "name": {"required": ["sign_up"]},  # the user's to change
            "custom:plan": {"mutable": False, "writable_by": ["invite", "sign_up"]},
            "custom:tier": {"writable_by": ["invite", "admin_update"]},  # administrators only
        },
    }
)


@pytest.fixture(scope="module")
def signed_in() -> tuple[Any, str, str]:
    """The embedded Cognito's client, a pool id and a confirmed user's access token."""
    embedded = EmbeddedCognito(clock=ManualClock(), outbox=Outbox(console=None))
    pool = embedded.create_pool(pool_parameters("trust", [POLICY]), client_parameters([POLICY]), "trust")
    assert pool.client_secret is not None
    client, hashed = embedded.client, secret_hash(pool.client_secret, USERNAME, pool.client_id)
    sent = {
        "email": USERNAME,
        "name": "Ann",
        "custom:plan": "free",
        TENANT_ATTRIBUTE: "trust",
        ORIGIN_ATTRIBUTE: "sign_up",
    }
    client.sign_up(
        ClientId=pool.client_id,
        SecretHash=hashed,
        Username=USERNAME,
        Password=PASSWORD,
        UserAttributes=[{"Name": k, "Value": v} for k, v in sent.items()],
    )
    client.admin_confirm_sign_up(UserPoolId=pool.user_pool_id, Username=USERNAME)
    result = client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": USERNAME, "PASSWORD": PASSWORD, "SECRET_HASH": hashed},
    )
    return client, pool.user_pool_id, result["AuthenticationResult"]["AccessToken"]


def attributes(client: Any, pool_id: str) -> dict[str, str]:
    user = client.admin_get_user(UserPoolId=pool_id, Username=USERNAME)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_a_users_token_writes_what_profile_update_may(signed_in: tuple[Any, str, str]) -> None:
    client, pool_id, token = signed_in
    client.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Ann B"}])
    assert attributes(client, pool_id)["name"] == "Ann B"
    # The stamp regapi reads at sign-in is readable with the token, as the client's ReadAttributes say.
    shown = {a["Name"]: a["Value"] for a in client.get_user(AccessToken=token)["UserAttributes"]}
    assert shown[TENANT_ATTRIBUTE] == "trust"


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("custom:tier", "gold", "NotAuthorizedException"),  # not in WriteAttributes: administrators only
        ("email_verified", "true", "NotAuthorizedException"),  # Cognito's, on a code
        ("custom:plan", "pro", "InvalidParameterException"),  # write-once: immutable in the pool
        ("email", "eve@shop.example", "InvalidParameterException"),  # the username's address: immutable
        (TENANT_ATTRIBUTE, "other", "InvalidParameterException"),  # regapi's stamp: immutable
    ],
)
def test_a_users_token_cannot_write_around_the_policy(
    signed_in: tuple[Any, str, str], name: str, value: str, refusal: str
) -> None:
    client, pool_id, token = signed_in
    before = attributes(client, pool_id)
    with pytest.raises(ClientError) as refused:
        client.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": name, "Value": value}])
    assert refused.value.response["Error"]["Code"] == refusal
    assert attributes(client, pool_id) == before
