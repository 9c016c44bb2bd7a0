"""The issuer of a pool's tokens on the aws backend, which admin access tokens must name.

`regapi cognito serve` issues its tokens for its own address (`http://HOST:PORT/<pool id>`), signed with a
key of its own process, and its discovery document says so: regapi, reaching it through a proxy (another
address), takes the issuer from that document. An endpoint serving none issues for its own URL
(`<endpoint>/<pool id>`); REGAPI_COGNITO_ISSUER overrides both. Tokens of another issuer than the
endpoint's cannot be signed with its key, which never leaves its process, so the cases needing one run
on a small endpoint of the test's own whose private key the test holds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.cognito.adapter import create_client
from api.cognito.keys import HttpKeySource
from api.cognito.port import PoolBinding
from api.registration.tokens import AccessTokens
from api.settings import Settings, SettingsError
from tests.helpers.client import Api
from tests.helpers.documents import EXPLAIN
from tests.helpers.flows import confirm, sign_in, sign_up
from tests.helpers.proxy import Fault, FaultProxy, api_behind
from tests.helpers.server import LiveServer, provision_remote

PASSWORD = "club pass 12"
AWS_FORM = "https://cognito-idp.us-east-1.amazonaws.com/"


@pytest.fixture(scope="module")
def provisioned(
    standalone_cognito: str, policy_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """Pools on the endpoint and policies naming them, shared by the APIs of this module."""
    target = tmp_path_factory.mktemp("issuer-policies")
    return target, provision_remote(standalone_cognito, policy_dir, target)


@contextlib.contextmanager
def serving(proxy: FaultProxy, endpoint: str, provisioned: tuple[Path, dict[str, str]], **env: str) -> Iterator[Api]:
    target, client_secrets = provisioned
    with api_behind(proxy, endpoint, target, client_secrets, **env) as api:
        api.http.headers["X-Forwarded-For"] = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        yield api


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@pytest.fixture(scope="module")
def admin_token(proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]]) -> str:
    """A real access token of a member of club's admin group, as `regapi cognito serve` issues it."""
    username = f"iss{secrets.token_hex(4)}"
    with serving(proxy, standalone_cognito, provisioned) as api:
        sign_up(api, username, tenant="club", password=PASSWORD, email=f"{username}@club.example")
        confirm(api, username, api.last_code("club", username), tenant="club")
        pool = claims_of(sign_in(api, username, PASSWORD, tenant="club")["tokens"]["accessToken"])["iss"]
        cognito = create_client("us-east-1", standalone_cognito)
        pool_id = pool.rsplit("/", 1)[1]
        cognito.create_group(UserPoolId=pool_id, GroupName="club-admins")
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="club-admins")
        token: str = sign_in(api, username, PASSWORD, tenant="club")["tokens"]["accessToken"]
    return token


def signed_with_motos_key(claims: dict[str, Any]) -> str:
    """What anyone can sign: moto ships its key pair, private half included."""
    from moto.utilities.utils import load_resource  # noqa: PLC0415

    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def admits(api: Api, token: str) -> bool:
    body = api.gql(EXPLAIN, {"input": {"tenant": "club", "operation": "SIGN_UP", "attributes": []}}, token=token)
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED", body
        return False
    return bool(body["data"]["explainRegistration"]["tenant"] == "club")


def pool_id_of(token: str) -> str:
    return str(claims_of(token)["iss"]).rsplit("/", 1)[1]


def test_the_endpoints_tokens_name_its_own_address_and_key(standalone_cognito: str, admin_token: str) -> None:
    assert claims_of(admin_token)["iss"] == f"{standalone_cognito}/{pool_id_of(admin_token)}"
    header = json.loads(base64.urlsafe_b64decode(admin_token.split(".", maxsplit=1)[0] + "=="))
    assert header["kid"] != "dummy"


def test_on_an_endpoint_the_issuer_is_the_one_its_discovery_document_names(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    with serving(proxy, standalone_cognito, provisioned) as api:
        assert admits(api, admin_token)  # its issuer is the endpoint's own address, not the proxy's
        assert not admits(api, signed_with_motos_key(claims_of(admin_token)))
    assert proxy.forwarded["openid-configuration"]


def test_an_endpoint_serving_no_discovery_document_issues_for_its_own_url(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    with (
        serving(proxy, standalone_cognito, provisioned) as api,
        proxy.fault(Fault.NOT_FOUND, only={"openid-configuration"}),
    ):
        assert not admits(api, admin_token)  # the proxy's URL is regapi's endpoint, not the issuer
    assert accepted_by_an_endpoint(discovery=None, token_issuer="{endpoint}/us-east-1_own")
    assert not accepted_by_an_endpoint(discovery=None, token_issuer="http://elsewhere.test/us-east-1_own")


def test_regapi_cognito_issuer_names_the_issuer(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    before = proxy.seen["openid-configuration"]
    with serving(proxy, standalone_cognito, provisioned, REGAPI_COGNITO_ISSUER=standalone_cognito) as api:
        assert admits(api, admin_token)
    with serving(proxy, standalone_cognito, provisioned, REGAPI_COGNITO_ISSUER="http://issuer.test/{pool_id}") as api:
        assert not admits(api, admin_token)
    assert proxy.seen["openid-configuration"] == before  # a configured issuer is not asked for


def test_a_discovery_documents_issuer_wins_over_the_endpoints_url() -> None:
    assert accepted_by_an_endpoint(
        discovery="http://issuer.test/pools/{pool_id}", token_issuer="http://issuer.test/pools/us-east-1_own"
    )
    assert not accepted_by_an_endpoint(
        discovery="http://issuer.test/pools/{pool_id}", token_issuer="{endpoint}/us-east-1_own"
    )


def accepted_by_an_endpoint(*, discovery: str | None, token_issuer: str) -> bool:
    """Whether regapi, on an endpoint of the test's own that serves a key set (and, unless `discovery` is
    None, a discovery document naming that issuer), admits an admin token of `token_issuer`."""
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [{**key.as_dict(private=False), "alg": "RS256", "use": "sig"}]})

    async def openid_configuration(request: Request) -> JSONResponse:
        if discovery is None:
            return JSONResponse({}, status_code=404)
        return JSONResponse({"issuer": discovery.replace("{pool_id}", request.path_params["pool_id"])})

    endpoint = Starlette(
        routes=[
            Route("/{pool_id}/.well-known/jwks.json", jwks),
            Route("/{pool_id}/.well-known/openid-configuration", openid_configuration),
        ]
    )
    pool = PoolBinding("own", "us-east-1_own", "the-client")
    with LiveServer(endpoint) as server:
        claims = {
            "iss": token_issuer.replace("{endpoint}", server.url),
            "token_use": "access",
            "client_id": pool.client_id,
            "exp": int(time.time()) + 600,
            "username": "boss",
            "cognito:groups": ["admins"],
        }
        token = jwt.encode({"kid": "test-key", "alg": "RS256"}, claims, key)
        tokens = AccessTokens(HttpKeySource("us-east-1", server.url))
        return asyncio.run(tokens.admin(pool, token, ["admins"])) == "boss"


def test_the_issuer_setting_takes_a_template_or_a_base_url() -> None:
    pool = PoolBinding("p", "us-east-1_abc", "client")
    for configured, expected in (
        (None, f"{AWS_FORM}us-east-1_abc"),
        ("https://idp.example/pools/{pool_id}/", "https://idp.example/pools/us-east-1_abc/"),
        ("https://idp.example/base/", "https://idp.example/base/us-east-1_abc"),
        ("http://localhost:9229", "http://localhost:9229/us-east-1_abc"),
    ):
        settings = Settings.from_env({"REGAPI_COGNITO_ISSUER": configured} if configured else {})
        assert settings.cognito_issuer == configured
        assert HttpKeySource("us-east-1", issuer=settings.cognito_issuer).issuer(pool) == expected


@pytest.mark.parametrize(
    "value",
    ["cognito-idp.example/{pool_id}", "https://idp.example/{pool}", "https://a/{pool_id}/{pool_id}", "https://a b"],
)
def test_an_issuer_that_is_no_url_or_template_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="REGAPI_COGNITO_ISSUER"):
        Settings.from_env({"REGAPI_COGNITO_ISSUER": value})
