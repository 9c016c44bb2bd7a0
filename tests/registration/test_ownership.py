"""One ownership rule for the use cases and the CLI's `policy diff --against-pool`: a user belongs to
the tenant stamped on it, and an unstamped user (created outside regapi) to a pool's only tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api.cognito.port import UserRecord
from api.policy import load_policy
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE
from api.registration.invitations import affected_users
from api.registration.tenancy import owns

DEMO = Path(__file__).resolve().parents[2] / "policies"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def user(name: str, status: str, **attributes: str) -> UserRecord:
    return UserRecord(name, status, attributes, WHEN, WHEN)


def test_the_rule() -> None:
    assert owns("shop", shared=False, stamp="shop")
    assert owns("shop", shared=False, stamp=None)
    assert not owns("shop", shared=False, stamp="blog")
    assert owns("shop", shared=True, stamp="shop")
    assert not owns("shop", shared=True, stamp=None)


def test_the_diff_counts_unstamped_users_of_a_single_tenant_pool() -> None:
    shop = load_policy(DEMO / "shop.yaml").policy
    users = [
        user("stamped@shop.example", "FORCE_CHANGE_PASSWORD", **{TENANT_ATTRIBUTE: "shop", ORIGIN_ATTRIBUTE: "invite"}),
        user("legacy@shop.example", "FORCE_CHANGE_PASSWORD"),  # created before regapi: no stamp
    ]
    affected = affected_users("shop", shop, shop, [], users, shared=False)
    assert affected["open invitations"] == ["stamped@shop.example", "legacy@shop.example"]


def test_in_a_shared_pool_unstamped_and_other_tenants_users_are_left_out() -> None:
    """Shared or not is the policies' word (other tenants naming the pool), as for the running server."""
    shop = load_policy(DEMO / "shop.yaml").policy
    users = [
        user("mine@shop.example", "FORCE_CHANGE_PASSWORD", **{TENANT_ATTRIBUTE: "shop"}),
        user("theirs@blog.example", "FORCE_CHANGE_PASSWORD", **{TENANT_ATTRIBUTE: "blog"}),
        user("legacy@shop.example", "FORCE_CHANGE_PASSWORD"),
    ]
    assert affected_users("shop", shop, shop, [], users, shared=True)["open invitations"] == ["mine@shop.example"]


def test_a_status_cognito_adds_later_is_no_error() -> None:
    shop = load_policy(DEMO / "shop.yaml").policy
    users = [user("odd@shop.example", "SOME_NEW_STATUS"), user("ok@shop.example", "CONFIRMED")]
    affected = affected_users("shop", shop, shop, ["name"], users, shared=False)
    assert affected == {"open invitations": [], "missing newly required name": ["ok@shop.example"]}
