"""CORS per tenant: only pages of an origin the tenant lists may call it from a browser, and in development
pages on loopback origins (exactly localhost, 127.0.0.1 and [::1]); and the API's own origin is only ever one
of its own host names (REGAPI_ALLOWED_HOSTS), so DNS rebinding cannot claim it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def preflight(api: Api | httpx.Client, origin: str | bytes) -> tuple[int, dict[str, str]]:
    http = api.http if isinstance(api, Api) else api
    response = http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    return response.status_code, dict(response.headers)


def sign_up(
    api: Api, tenant: str, username: str, origin: str | bytes | None
) -> tuple[dict[str, str], dict[str, object]]:
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


@contextlib.contextmanager
def club_on_aws(directory: Path, **settings: Any) -> Iterator[httpx.Client]:
    """An app serving club on api.club.example, on the aws backend (registrationForm needs no Cognito, so
    the endpoint may be unreachable)."""
    policy = yaml.safe_load((TEST_POLICIES / "club.yaml").read_text(encoding="utf-8"))
    policy["cognito"].update(user_pool_id="us-east-1_Nowhere01", client_id="nowhere")
    (directory / "club.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    app = create_app(
        Settings(
            policy_dir=directory,
            backend="aws",
            cognito_endpoint="http://127.0.0.1:9",
            session_secret=b"s" * 32,
            reload=False,
            allowed_hosts=("api.club.example",),
            **settings,
        )
    )
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        http.headers["Host"] = "api.club.example"
        yield http


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with club_on_aws(tmp_path_factory.mktemp("production-policies"), production=True) as http:
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


# Pages on the developer's machine, as browsers serialise their origins.
LOOPBACK = [
    "http://localhost:3000",
    "https://localhost:8443",
    "http://127.0.0.1:5500",
    "http://[::1]:8080",
    "http://localhost",
]
# What is not one of those three hosts exactly, or not an origin at all.
LOOK_ALIKES = [
    "http://localhost.evil.example",
    "http://localhost.evil.example:3000",
    "http://127.0.0.1.nip.io",
    "http://localhost@evil.example",
    "http://evil.example@localhost:3000",
    "http://sub.localhost:3000",
    "http://localhost.:3000",
    "http://LOCALHOST:3000",
    "HTTP://localhost:3000",
    "http://LocalHost",
    "http://localhost:3000/",
    "http://localhost:3000/app",
    "http://localhost:3000?x=1",
    "http://localhost:3000 http://evil.example",
    "http://localhost:",
    "http://localhost:0",
    "http://localhost:03000",
    "http://localhost:65536",
    "http://127.0.0.2:3000",
    "http://127.1:3000",
    "http://2130706433",
    "http://0.0.0.0:3000",
    "http://[::ffff:127.0.0.1]",
    "http://[0:0:0:0:0:0:0:1]",
    "http://::1",
    "ws://localhost:3000",
    "file://localhost",
    "localhost:3000",
    "null",
]


@pytest.mark.parametrize("origin", LOOPBACK)
def test_in_development_a_page_on_this_machine_may_call_every_tenant(
    embedded_api: Api, unique: str, origin: str
) -> None:
    """No tenant lists these (club lists http://localhost:5173 only, legacy nothing)."""
    status, headers = preflight(embedded_api, origin)
    assert (status, headers["access-control-allow-origin"]) == (204, origin)
    headers, result = sign_up(embedded_api, "legacy", f"d{unique}", origin)
    assert headers["access-control-allow-origin"] == origin
    assert result["__typename"] == "SignUpSuccess"


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_of_a_loopback_origin_are_refused(embedded_api: Api, unique: str, origin: str) -> None:
    status, headers = preflight(embedded_api, origin)
    assert status == 403
    assert "access-control-allow-origin" not in headers
    headers, result = sign_up(embedded_api, "legacy", f"a{unique}", origin)
    assert "access-control-allow-origin" not in headers
    assert (result["__typename"], result["code"]) == ("RegistrationError", "NOT_AUTHORIZED")


def lines_naming(log: list[str], since: int, text: str = "") -> list[str]:
    """The API's lines logged since `since` that hold `text` (all of them by default); the test client's
    own (httpx, httpcore) and the access lines are left out, and so is the request id every line of a
    request ends with."""
    lines = [line for line in log[since:] if line.startswith("regapi") and text in line]
    lines = [line for line in lines if not line.startswith("regapi.access ")]
    return [re.sub(r" request_id=[0-9a-f]{32}$", "", line) for line in lines]


def test_a_refused_preflight_is_logged_once_with_its_origin(embedded_api: Api, log_capture: list[str]) -> None:
    origin = "http://localhost.evil.example:3000"
    since = len(log_capture)
    assert preflight(embedded_api, origin)[0] == 403
    assert lines_naming(log_capture, since) == [
        f"regapi.http INFO refused a CORS preflight: no tenant lists its origin origin={origin}"
    ]


def test_a_request_its_tenant_refuses_is_logged_once_with_origin_and_tenant(
    embedded_api: Api, unique: str, log_capture: list[str]
) -> None:
    since = len(log_capture)
    _, result = sign_up(embedded_api, "legacy", f"r{unique}", CLUB)  # club lists it, legacy does not
    assert result["code"] == "NOT_AUTHORIZED"
    assert lines_naming(log_capture, since) == [
        f"regapi.audit INFO origin_refused tenant=legacy code=NOT_AUTHORIZED origin={CLUB} actor=anonymous"
    ]


def test_an_origin_is_logged_quoted_and_escaped(embedded_api: Api, unique: str, log_capture: list[str]) -> None:
    """A page chooses its origin's bytes (obs-text such as 0x85, a line break to some readers, and spaces
    that would make up fields of their own); the line keeps them inside the quotes, escaped."""
    since = len(log_capture)
    assert preflight(embedded_api, b"http://localhost\x85 tenant=acme")[0] == 403
    _, result = sign_up(embedded_api, "legacy", f"q{unique}", b"http://localhost\x85 tenant=acme")
    assert result["code"] == "NOT_AUTHORIZED"
    lines = lines_naming(log_capture, since, "origin=")
    assert len(lines) == 2
    assert all('origin="http://localhost\\x85 tenant=acme"' in line and "\x85" not in line for line in lines)


def test_in_production_a_loopback_origin_needs_the_tenants_list(
    production: httpx.Client, log_capture: list[str]
) -> None:
    since = len(log_capture)
    assert preflight(production, "http://localhost:3000")[0] == 403
    refused = production.post("/graphql", json=FORM, headers={"Origin": "http://localhost:3000"})
    assert record(refused.json())["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    assert "access-control-allow-origin" not in refused.headers
    assert len(lines_naming(log_capture, since, "origin=http://localhost:3000")) == 2
    listed = "http://localhost:5173"  # club.yaml's own entry
    assert preflight(production, listed)[0] == 204
    allowed = production.post("/graphql", json=FORM, headers={"Origin": listed})
    assert allowed.json() == {"data": {"registrationForm": {"enabled": True}}}


def test_an_operator_can_switch_the_development_default_off(tmp_path: Path) -> None:
    with club_on_aws(tmp_path, dev_origins=False) as http:
        assert preflight(http, "http://localhost:3000")[0] == 403
        refused = http.post("/graphql", json=FORM, headers={"Origin": "http://localhost:3000"})
        assert record(refused.json())["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
        assert preflight(http, "http://localhost:5173")[0] == 204
