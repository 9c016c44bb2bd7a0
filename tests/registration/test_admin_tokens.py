"""Administrators signing in with Cognito: an access token of a member of the tenant's admin group."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

from api.cognito.adapter import create_client
from api.cognito.embedded.signing import sign
from tests.helpers.client import Api, InProcessCognito, StandaloneCognito
from tests.helpers.documents import EXPLAIN, SIGN_OUT
from tests.helpers.flows import confirm, sign_in, sign_up

PASSWORD = "club pass 12"


def boto(api: Api) -> Any:
    if isinstance(api.cognito, StandaloneCognito):
        return create_client("us-east-1", api.cognito.url)
    assert isinstance(api.cognito, InProcessCognito)
    return create_client("us-east-1")


def pool_of(token: str) -> str:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["iss"]).rsplit("/", 1)[1]


def access_token(api: Api, username: str, *, admin: bool) -> str:
    sign_up(api, username, tenant="club", password=PASSWORD, email=f"{username}@club.example")
    confirm(api, username, api.last_code("club", username), tenant="club")
    token = sign_in(api, username, PASSWORD, tenant="club")["tokens"]["accessToken"]
    if admin:
        cognito, pool = boto(api), pool_of(token)
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(UserPoolId=pool, GroupName="club-admins")
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="club-admins")
        token = sign_in(api, username, PASSWORD, tenant="club")["tokens"]["accessToken"]
    api.secrets.add(token)
    return token


def explain(api: Api, tenant: str, token: str) -> dict[str, Any]:
    return api.gql(EXPLAIN, {"input": {"tenant": tenant, "operation": "SIGN_UP", "attributes": []}}, token=token)


def test_an_admin_groups_access_token_is_accepted(api: Api, unique: str) -> None:
    token = access_token(api, f"boss{unique}", admin=True)
    assert explain(api, "club", token)["data"]["explainRegistration"]["tenant"] == "club"


def test_tokens_of_non_admins_other_tenants_and_forgeries_are_refused(api: Api, unique: str) -> None:
    plain = access_token(api, f"member{unique}", admin=False)
    assert explain(api, "club", plain)["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    boss = access_token(api, f"chief{unique}", admin=True)
    # the same token does not open another tenant (shop names no groups; legacy's pool is another)
    for tenant in ("shop", "legacy"):
        assert explain(api, tenant, boss)["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    header, payload, signature = boss.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["club-admins", "everyone"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert explain(api, "club", f"{header}.{forged}.{signature}")["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


def test_an_expired_or_wrongly_issued_token_is_refused(embedded_api: Api, unique: str) -> None:
    """Signed with the pool's real key (the embedded Cognito's key pair, of this process), but expired, for
    another client or issuer; or signed with the key pair moto ships, whose private half anyone has."""
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import RSAKey  # noqa: PLC0415
    from moto.utilities.utils import load_resource  # noqa: PLC0415

    token = access_token(embedded_api, f"old{unique}", admin=True)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    resigned = sign(claims)
    assert explain(embedded_api, "club", resigned)["data"]["explainRegistration"]["tenant"] == "club"  # control
    motos_key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    forgeries = [
        *(
            sign({**claims, **change})
            for change in (
                {"exp": claims["iat"] - 1},
                {"client_id": "another-client"},
                {"token_use": "id"},
                {"iss": claims["iss"].replace("/dev/cognito/", "/")},
            )
        ),
        jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, motos_key),
    ]
    for forged in forgeries:
        embedded_api.secrets.add(forged)
        assert explain(embedded_api, "club", forged)["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


def test_a_signed_out_administrators_token_is_refused_at_once(api: Api, unique: str) -> None:
    # The token still verifies locally until it expires; Cognito's GetUser is what knows it was revoked.
    token = access_token(api, f"leaver{unique}", admin=True)
    assert explain(api, "club", token)["data"]["explainRegistration"]["tenant"] == "club"
    signed_out = api.gql(SIGN_OUT, {"input": {"tenant": "club"}}, token=token)["data"]["signOut"]
    assert signed_out["__typename"] == "SignOutSuccess"
    assert explain(api, "club", token)["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
