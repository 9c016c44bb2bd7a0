"""The embedded Cognito's tokens, verifiable as real Cognito's: its own key, its own issuer, and the key set
and discovery document served at `<iss>/.well-known/`, in-process (`/dev/cognito`) and as `regapi cognito
serve`; and examples/verify_token.py, run as printed in the README, on real tokens of both."""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.clock import ManualClock
from api.cognito.embedded.discovery import listening_url
from api.settings import Settings
from tests.helpers import TRUSTED
from tests.helpers.client import Api, InProcessCognito
from tests.helpers.flows import confirm, sign_in, sign_up
from tests.helpers.server import LiveServer, loopback_socket

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "verify_token.py"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


@pytest.fixture(scope="module")
def live(policy_dir: Path) -> Iterator[tuple[Api, str]]:
    """The app on the embedded Cognito, its settings naming the port it really listens on (as `regapi serve`'s
    do), so that its issuer is reachable; with its URL."""
    sock = loopback_socket()
    settings = Settings(policy_dir=policy_dir, port=sock.getsockname()[1], trusted_proxies=TRUSTED, reload=False)
    clock = ManualClock()
    with LiveServer(create_app(settings, clock=clock), sock=sock) as server, httpx.Client(base_url=server.url) as http:
        http.headers["X-Forwarded-For"] = f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        yield Api(http=http, cognito=InProcessCognito(http, clock)), server.url


def claims_of(token: str) -> dict[str, Any]:
    return dict(json.loads(_segment(token, 1)))


def header_of(token: str) -> dict[str, Any]:
    return dict(json.loads(_segment(token, 0)))


def _segment(token: str, index: int) -> bytes:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def shop_tokens(api: Api) -> dict[str, str]:
    username = f"jwks-{secrets.token_hex(4)}@example.com"
    sign_up(api, username)
    confirm(api, username, api.last_code("shop", username))
    tokens: dict[str, str] = sign_in(api, username)["tokens"]
    api.secrets |= {tokens["accessToken"], tokens["idToken"]}
    return tokens


def verify(
    token: str, prefix: str, client_id: str, *extra: str, stdin: bool = False
) -> subprocess.CompletedProcess[str]:
    arguments = ["--issuer-prefix", prefix, "--client-id", client_id, *extra, *([] if stdin else [token])]
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *arguments],
        input=token if stdin else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def signed_with_motos_key(claims: dict[str, Any]) -> str:
    """What anyone can sign: moto ships its key pair, private half included."""
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import RSAKey  # noqa: PLC0415
    from moto.utilities.utils import load_resource  # noqa: PLC0415

    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def signed_with_a_key_of_their_own(claims: dict[str, Any]) -> str:
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import RSAKey  # noqa: PLC0415

    key = RSAKey.generate_key(2048, parameters={"kid": "forger"}, private=True)
    return jwt.encode({"kid": "forger", "alg": "RS256"}, claims, key)


def test_tokens_name_the_servers_own_address_and_a_key_of_its_own(live: tuple[Api, str]) -> None:
    api, url = live
    tokens = shop_tokens(api)
    for token in tokens["accessToken"], tokens["idToken"]:
        assert re.fullmatch(rf"{re.escape(url)}/dev/cognito/us-east-1_[0-9a-z]+", claims_of(token)["iss"])
        assert header_of(token)["kid"] not in ("dummy", None)
        assert header_of(token)["alg"] == "RS256"
    assert header_of(tokens["accessToken"])["kid"] == header_of(tokens["idToken"])["kid"]


def test_the_key_set_and_discovery_document_are_served_at_the_issuer(live: tuple[Api, str]) -> None:
    api, _ = live
    token = shop_tokens(api)["accessToken"]
    issuer = claims_of(token)["iss"]
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration")
    assert discovery.status_code == 200
    assert discovery.headers["content-type"] == "application/json"
    assert discovery.json()["issuer"] == issuer
    assert discovery.json()["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    (key,) = httpx.get(discovery.json()["jwks_uri"]).json()["keys"]
    assert (key["kid"], key["kty"], key["alg"], key["use"]) == (header_of(token)["kid"], "RSA", "RS256", "sig")
    assert not PRIVATE_MEMBERS & set(key)


def shop_pool(api: Api) -> dict[str, str]:
    """The shop pool as GET /dev/cognito lists it: what a backend verifying its tokens is configured with."""
    (pool,) = [p for p in api.http.get("/dev/cognito").json() if p["pool"] == "shop"]
    return dict(pool)


def test_the_api_lists_its_pools_with_their_issuers_and_app_clients(live: tuple[Api, str]) -> None:
    api, url = live
    pools = api.http.get("/dev/cognito").json()
    assert {p["pool"] for p in pools} >= {"acme", "shop", "club"}
    claims = claims_of(shop_tokens(api)["accessToken"])
    pool = shop_pool(api)
    assert pool == {
        "pool": "shop",
        "userPoolId": claims["iss"].rsplit("/", 1)[1],
        "clientId": claims["client_id"],
        "issuer": claims["iss"],
    }
    assert pool["issuer"] == f"{url}/dev/cognito/{pool['userPoolId']}"


def test_a_pool_the_app_does_not_hold_has_no_documents(live: tuple[Api, str]) -> None:
    api, _ = live
    for pool in ("us-east-1_nonexistent", "..", "x"):
        for name in ("jwks.json", "openid-configuration"):
            assert api.http.get(f"/dev/cognito/{pool}/.well-known/{name}").status_code == 404


def test_the_example_verifies_a_real_token_and_refuses_others(live: tuple[Api, str], log_capture: list[str]) -> None:
    api, url = live
    tokens = shop_tokens(api)
    access, claims = tokens["accessToken"], claims_of(tokens["accessToken"])
    prefix, client_id = f"{url}/dev/cognito/", shop_pool(api)["clientId"]

    accepted = verify(access, prefix, client_id)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == f"valid access token: sub {claims['sub']}, pool {claims['iss'].rsplit('/', 1)[1]}\n"
    assert verify(access, prefix, client_id, stdin=True).returncode == 0
    assert verify(tokens["idToken"], prefix, client_id, "--token-use", "id").returncode == 0

    header, _, signature = access.split(".")
    payload = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode()).decode().rstrip("=")
    # A forger's token naming their own key set's address as issuer: refused before anything is fetched.
    forged = signed_with_a_key_of_their_own({**claims, "iss": "http://127.0.0.1:9/us-east-1_evil"})
    refused = {
        "tampered": (f"{header}.{payload}.{signature}", client_id, "Signature verification failed"),
        "moto's key": (signed_with_motos_key(claims), client_id, "Unable to find a signing key"),
        "foreign issuer": (forged, client_id, "not issued by a pool under"),
        "other client": (access, "another-client", "issued to another app client"),
        "id as access": (tokens["idToken"], client_id, "Invalid audience"),  # ID tokens have `aud`, access ones not
    }
    for case, (token, expected_client, reason) in refused.items():
        result = verify(token, prefix, expected_client)
        assert result.returncode == 1, case
        assert reason in result.stderr, (case, result.stderr)
    access_as_id = verify(access, prefix, client_id, "--token-use", "id")
    assert access_as_id.returncode == 1
    assert 'missing the "aud" claim' in access_as_id.stderr
    assert not [line for line in log_capture if access in line or tokens["idToken"] in line]  # never logged


@pytest.fixture
def standalone(standalone_api: Api) -> Iterator[Api]:
    """The API on the aws backend against `regapi cognito serve`, called from an address of this test's own."""
    standalone_api.http.headers["X-Forwarded-For"] = f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    yield standalone_api
    standalone_api.http.headers.pop("X-Forwarded-For", None)


def test_the_example_verifies_tokens_of_the_standalone_endpoint(standalone: Api, standalone_cognito: str) -> None:
    tokens = shop_tokens(standalone)
    claims = claims_of(tokens["accessToken"])
    assert claims["iss"] == f"{standalone_cognito}/{claims['iss'].rsplit('/', 1)[1]}"
    result = verify(tokens["accessToken"], f"{standalone_cognito}/", claims["client_id"])
    assert result.returncode == 0, result.stderr
    assert verify(signed_with_motos_key(claims), f"{standalone_cognito}/", claims["client_id"]).returncode == 1


def test_the_standalone_endpoint_serves_its_pools_documents_only(standalone: Api, standalone_cognito: str) -> None:
    token = shop_tokens(standalone)["accessToken"]
    issuer = claims_of(token)["iss"]
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert (discovery["issuer"], discovery["jwks_uri"]) == (issuer, f"{issuer}/.well-known/jwks.json")
    (key,) = httpx.get(f"{issuer}/.well-known/jwks.json").json()["keys"]
    assert key["kid"] == header_of(token)["kid"] != "dummy"
    assert not PRIVATE_MEMBERS & set(key)
    for name in ("jwks.json", "openid-configuration"):  # moto would serve its shipped key for any name here
        assert httpx.get(f"{standalone_cognito}/us-east-1_nonexistent/.well-known/{name}").status_code == 404


def test_on_the_aws_backend_the_api_serves_no_cognito_documents(standalone: Api) -> None:
    assert standalone.http.get("/dev/cognito").status_code == 404
    pool = claims_of(shop_tokens(standalone)["accessToken"])["iss"].rsplit("/", 1)[1]
    for name in ("jwks.json", "openid-configuration"):
        assert standalone.http.get(f"/dev/cognito/{pool}/.well-known/{name}").status_code == 404


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),  # noqa: S104 - listening everywhere: a client uses loopback
        ("::", "http://[::1]:8000"),
        ("::1", "http://[::1]:8000"),
        ("[::1]", "http://[::1]:8000"),
        ("", "http://127.0.0.1:8000"),
        ("10.1.2.3", "http://10.1.2.3:8000"),
        ("localhost", "http://localhost:8000"),
    ],
)
def test_the_issuer_names_an_address_a_client_can_reach(host: str, url: str) -> None:
    assert listening_url(host, 8000) == url
