"""CORS per tenant: only pages of an origin the tenant lists may call it from a browser."""

from __future__ import annotations

from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs
from tests.helpers.recorder import record

CLUB = "https://club.example"


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
