"""The issuer of a pool's tokens on the aws backend, which admin access tokens must name.

`regapi cognito serve` is moto's server: its tokens carry AWS's issuer form
(`https://cognito-idp.us-east-1.amazonaws.com/<pool id>`) whatever its own URL, and its discovery document
says so. Other Cognito-compatible endpoints issue for their own URL (`<endpoint>/<pool id>`). Both are
tested with tokens signed by the pool's real key (the key pair moto ships), carrying each issuer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.cognito.adapter import create_client
from api.cognito.keys import HttpKeySource
from api.cognito.port import PoolBinding
from api.settings import Settings, SettingsError
from tests.helpers.client import Api
from tests.helpers.documents import EXPLAIN
from tests.helpers.flows import confirm, sign_in, sign_up
from tests.helpers.proxy import Fault, FaultProxy, api_behind
from tests.helpers.server import provision_remote

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


def issued_by(token: str, issuer: str) -> str:
    """The same token with another `iss`, signed by the pool's key: what an endpoint issuing for `issuer` gives."""
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import RSAKey  # noqa: PLC0415
    from moto.utilities.utils import load_resource  # noqa: PLC0415

    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, {**claims_of(token), "iss": issuer}, key)


def admits(api: Api, token: str) -> bool:
    body = api.gql(EXPLAIN, {"input": {"tenant": "club", "operation": "SIGN_UP", "attributes": []}}, token=token)
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED", body
        return False
    return bool(body["data"]["explainRegistration"]["tenant"] == "club")


def test_the_endpoints_tokens_name_awss_issuer_form(admin_token: str) -> None:
    assert claims_of(admin_token)["iss"].startswith(AWS_FORM)


def test_on_an_endpoint_the_issuer_is_the_one_its_discovery_document_names(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    pool_id = claims_of(admin_token)["iss"].rsplit("/", 1)[1]
    with serving(proxy, standalone_cognito, provisioned) as api:
        assert admits(api, admin_token)
        assert not admits(api, issued_by(admin_token, f"{proxy.url}/{pool_id}"))
    assert proxy.forwarded["openid-configuration"]


def test_an_endpoint_serving_no_discovery_document_issues_for_its_own_url(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    pool_id = claims_of(admin_token)["iss"].rsplit("/", 1)[1]
    with (
        serving(proxy, standalone_cognito, provisioned) as api,
        proxy.fault(Fault.NOT_FOUND, only={"openid-configuration"}),
    ):
        assert admits(api, issued_by(admin_token, f"{proxy.url}/{pool_id}"))
        assert not admits(api, admin_token)


def test_regapi_cognito_issuer_names_the_issuer(
    proxy: FaultProxy, standalone_cognito: str, provisioned: tuple[Path, dict[str, str]], admin_token: str
) -> None:
    pool_id = claims_of(admin_token)["iss"].rsplit("/", 1)[1]
    with serving(proxy, standalone_cognito, provisioned, REGAPI_COGNITO_ISSUER="http://issuer.test/{pool_id}") as api:
        assert admits(api, issued_by(admin_token, f"http://issuer.test/{pool_id}"))
        assert not admits(api, admin_token)
        assert not admits(api, issued_by(admin_token, f"http://issuer.test/{pool_id}x"))


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
