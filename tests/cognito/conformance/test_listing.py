"""ListUsers: its page limit, its filters, and pages that hold under inserts."""

from __future__ import annotations

from typing import Any

from tests.helpers.conformance import Cognito, Pool, refused


def listing(pool: Pool, *, limit: int, between_pages: Any = None, **params: Any) -> list[str]:
    """The usernames of every page, in order; `between_pages()` runs after the first page."""
    names: list[str] = []
    params = {"UserPoolId": pool.id, "Limit": limit, **params}
    while True:
        page = pool.client.list_users(**params)
        names += [user["Username"] for user in page["Users"]]
        if not page.get("PaginationToken"):
            return names
        params["PaginationToken"] = page["PaginationToken"]
        if between_pages is not None:
            between_pages()
            between_pages = None


def test_limit_is_at_most_60(cognito: Cognito) -> None:
    """API Reference, ListUsers Limit: at most 60."""
    pool = cognito.pool()
    assert refused(pool.client.list_users, UserPoolId=pool.id, Limit=61) == (
        "InvalidParameterException",
        "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 60",
    )
    assert pool.client.list_users(UserPoolId=pool.id, Limit=60)["Users"] == []


def test_status_filters_page_through_and_hold_under_inserts(cognito: Cognito) -> None:
    """API Reference, ListUsers Filter: `cognito:user_status` (case-insensitive) and `status` (Enabled or
    Disabled); a chain of pages returns no user twice, and users added meanwhile come later in it."""
    pool = cognito.pool()
    for n in range(5):
        pool.sign_up(f"pending{n}")
        pool.member(f"member{n}")
    pool.client.admin_disable_user(UserPoolId=pool.id, Username="member3")

    def more() -> None:
        pool.sign_up("pending5")
        pool.member("member5")

    unconfirmed = listing(pool, limit=2, between_pages=more, Filter='cognito:user_status = "unconfirmed"')
    assert unconfirmed == [f"pending{n}" for n in range(6)]
    confirmed = listing(pool, limit=4, Filter='cognito:user_status = "CONFIRMED"')
    assert confirmed == [f"member{n}" for n in range(6)]
    assert listing(pool, limit=60, Filter='status = "Disabled"') == ["member3"]


def test_custom_attributes_cannot_be_searched(cognito: Cognito) -> None:
    """Developer Guide, searching user attributes: custom attributes are not searchable."""
    pool = cognito.pool()
    filt = 'custom:badge = "one"'
    assert refused(pool.client.list_users, UserPoolId=pool.id, Filter=filt)[0] == "InvalidParameterException"
