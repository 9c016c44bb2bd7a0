"""CORS per tenant: only pages of an origin the tenant lists may call it from a browser; and the API's own
origin is only ever one of its own host names (REGAPI_ALLOWED_HOSTS), so DNS rebinding cannot claim it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from api.app import create_app
from api.settings import Settings
from tests.helpers import TEST_POLICIES
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs
from tests.helpers.recorder import record
from tests.helpers.server import LiveServer

CLUB = "https://club.example"
FORM = {"query": '{ registrationForm(tenant: "club", operation: SIGN_UP) { enabled } }'}


def preflight(api: Api, origin: str) -> tuple[int, dict[str, str]]:
    response = api.http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    return response.status_code, dict(response.headers)


def sign_up(api: Api, tenant: str, username: str, origin: str | None) -> tuple[dict[str, str], dict[str, object]]:
    variables = {
        "input": {
            "tenant": tenant,
            "username": username,
            "password": "longenough1",
            "attributes": attrs(email=f"{username}@club.example"),
        }
    }
    headers = {"Origin": origin} if origin else {}
    response = api.http.post("/graphql", json={"query": SIGN_UP, "variables": variables}, headers=headers)
    return dict(response.headers), record(response.json())["data"]["signUp"]


def test_a_listed_origin_passes_the_preflight_and_gets_the_answer(embedded_api: Api, unique: str) -> None:
    status, headers = preflight(embedded_api, CLUB)
    assert status == 204
    assert headers["access-control-allow-origin"] == CLUB
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"]
    headers, result = sign_up(embedded_api, "club", f"c{unique}", CLUB)
    assert headers["access-control-allow-origin"] == CLUB
    assert result["__typename"] == "SignUpSuccess"


def test_nothing_is_allowed_by_default(embedded_api: Api, unique: str) -> None:
    status, headers = preflight(embedded_api, "https://evil.example")
    assert status == 403
    assert "access-control-allow-origin" not in headers
    headers, result = sign_up(embedded_api, "club", f"e{unique}", "https://evil.example")
    assert "access-control-allow-origin" not in headers
    assert result["code"] == "NOT_AUTHORIZED"


def test_one_tenants_origin_cannot_call_another_tenant(embedded_api: Api, unique: str) -> None:
    """The preflight cannot know the tenant; the request itself is refused for a tenant not listing it."""
    _, result = sign_up(embedded_api, "legacy", f"l{unique}", CLUB)
    assert (result["__typename"], result["code"]) == ("RegistrationError", "NOT_AUTHORIZED")
    form = embedded_api.http.post(
        "/graphql",
        json={"query": '{ registrationForm(tenant: "shop", operation: SIGN_UP) { enabled } }'},
        headers={"Origin": CLUB},
    ).json()
    assert form["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


def test_servers_and_the_apis_own_pages_need_no_origin(embedded_api: Api, unique: str) -> None:
    _, result = sign_up(embedded_api, "legacy", f"s{unique}", None)
    assert result["__typename"] == "SignUpSuccess"
    own = str(embedded_api.http.base_url).rstrip("/")
    _, same = sign_up(embedded_api, "legacy", f"o{unique}", own)
    assert same["__typename"] == "SignUpSuccess"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A production app serving api.club.example, on the aws backend (registrationForm needs no Cognito,
    so the endpoint may be unreachable)."""
    directory = tmp_path_factory.mktemp("production-policies")
    policy = yaml.safe_load((TEST_POLICIES / "club.yaml").read_text(encoding="utf-8"))
    policy["cognito"].update(user_pool_id="us-east-1_Nowhere01", client_id="nowhere")
    (directory / "club.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    settings = Settings(
        policy_dir=Path(directory),
        backend="aws",
        cognito_endpoint="http://127.0.0.1:9",
        production=True,
        session_secret=b"s" * 32,
        reload=False,
        allowed_hosts=("api.club.example",),
    )
    with LiveServer(create_app(settings)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def test_a_rebound_dns_name_is_not_the_apis_own_origin(production: httpx.Client) -> None:
    """A page on evil.example, its name rebound to the API's address, sends Host and Origin of its own."""
    rebound = production.post("/graphql", json=FORM, headers={"Host": "evil.example", "Origin": "http://evil.example"})
    assert rebound.status_code == 400
    assert record(rebound.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "access-control-allow-origin" not in rebound.headers
    own = production.post(
        "/graphql", json=FORM, headers={"Host": "api.club.example", "Origin": "http://api.club.example"}
    )
    assert own.json() == {"data": {"registrationForm": {"enabled": True}}}
    other = production.post(
        "/graphql", json=FORM, headers={"Host": "api.club.example", "Origin": "http://evil.example"}
    )
    assert record(other.json())["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    listed = production.post("/graphql", json=FORM, headers={"Host": "api.club.example", "Origin": CLUB})
    assert listed.headers["access-control-allow-origin"] == CLUB


def test_health_routes_answer_any_host(production: httpx.Client) -> None:
    """Probes and load balancers address a process by its IP."""
    assert production.get("/healthz", headers={"Host": "10.1.2.3:8000"}).json()["status"] == "ok"
    assert production.get("/graphql", headers={"Host": "10.1.2.3:8000"}).status_code == 400


def test_development_serves_local_names_only(embedded_api: Api) -> None:
    local = embedded_api.http.post("/graphql", json=FORM, headers={"Host": "localhost:8000"})
    assert local.json() == {"data": {"registrationForm": {"enabled": True}}}
    rebound = embedded_api.http.post("/graphql", json=FORM, headers={"Host": "evil.example"})
    assert rebound.status_code == 400
