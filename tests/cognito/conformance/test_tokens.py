"""Tokens: REFRESH_TOKEN_AUTH, sign-out, expiry, and what disabling and deleting a user do to its tokens."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.helpers.conformance import PASSWORD, Cognito, Pool, later, refused

REVOKED = ("NotAuthorizedException", "Access Token has been revoked")


def segment(token: str, place: int) -> dict[str, Any]:
    part = token.split(".")[place]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def header(token: str) -> dict[str, Any]:
    return segment(token, 0)


def claims(token: str) -> dict[str, Any]:
    return segment(token, 1)


def token_calls_refused(pool: Pool, access_token: str) -> list[tuple[str, str]]:
    """What GetUser, UpdateUserAttributes and ChangePassword answer for this access token."""
    name = [{"Name": "name", "Value": "x"}]
    return [
        refused(pool.client.get_user, AccessToken=access_token),
        refused(pool.client.update_user_attributes, AccessToken=access_token, UserAttributes=name),
        refused(
            pool.client.change_password,
            AccessToken=access_token,
            PreviousPassword=PASSWORD,
            ProposedPassword="Fresh-Passw0rd!",
        ),
    ]


def test_refresh_issues_new_tokens_signed_as_the_others(cognito: Cognito) -> None:
    """Developer Guide, using the refresh token: new ID and access tokens, no new refresh token, from the
    same key and issuer as the sign-in's; SECRET_HASH over the username for a client with a secret."""
    pool = cognito.pool(secret=True)
    tokens = pool.member("ann")
    assert refused(
        pool.client.initiate_auth,
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )[1].endswith("is configured for secret but secret was not received")
    fresh = pool.refresh("ann", tokens["RefreshToken"])["AuthenticationResult"]
    assert "RefreshToken" not in fresh
    assert fresh["AccessToken"] != tokens["AccessToken"]
    assert header(fresh["AccessToken"])["kid"] == header(tokens["AccessToken"])["kid"]
    assert claims(fresh["IdToken"])["iss"] == claims(tokens["IdToken"])["iss"]
    assert claims(fresh["IdToken"])["email"] == "ann@example.com"
    assert pool.client.get_user(AccessToken=fresh["AccessToken"])["Username"] == "ann"


def test_refresh_token_of_another_client_refused(cognito: Cognito) -> None:
    """re:Post, Invalid Refresh Token: a refresh token works only with the app client that it was issued to."""
    pool = cognito.pool()
    tokens = pool.member("bob")
    other = pool.client.create_user_pool_client(
        UserPoolId=pool.id, ClientName="other", ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    assert refused(pool.refresh, "bob", tokens["RefreshToken"], client_id=other) == (
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )


def test_global_sign_out_ends_every_token(cognito: Cognito) -> None:
    """API Reference, GlobalSignOut: the user's refresh tokens are refused, and calls with its access tokens
    answer "Access Token has been revoked"; tokens of every device, whatever name it signed in with."""
    pool = cognito.pool(UsernameConfiguration={"CaseSensitive": False})
    phone = pool.member("carl")
    laptop = pool.auth("CARL", PASSWORD)["AuthenticationResult"]
    pool.client.global_sign_out(AccessToken=phone["AccessToken"])
    for tokens in (phone, laptop):
        assert token_calls_refused(pool, tokens["AccessToken"]) == [REVOKED] * 3
        assert refused(pool.refresh, "carl", tokens["RefreshToken"]) == (
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        )
    assert "AuthenticationResult" in pool.auth("carl", PASSWORD)  # signing in again is another session


def test_admin_global_sign_out(cognito: Cognito) -> None:
    """API Reference, AdminUserGlobalSignOut: the same, by an administrator."""
    pool = cognito.pool()
    tokens = pool.member("dora")
    pool.client.admin_user_global_sign_out(UserPoolId=pool.id, Username="dora")
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"]) == REVOKED
    assert refused(pool.refresh, "dora", tokens["RefreshToken"])[0] == "NotAuthorizedException"


def test_tokens_expire(cognito: Cognito) -> None:
    """API Reference, CreateUserPoolClient: an access token lasts its ExpiresIn (one hour by default), a
    refresh token RefreshTokenValidity (30 days by default)."""
    pool = cognito.pool()
    tokens = pool.member("eve")
    later(cognito, seconds=tokens["ExpiresIn"])
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"]) == (
        "NotAuthorizedException",
        "Access Token has expired",
    )
    fresh = pool.refresh("eve", tokens["RefreshToken"])["AuthenticationResult"]
    assert pool.client.get_user(AccessToken=fresh["AccessToken"])["Username"] == "eve"
    later(cognito, days=30)
    assert refused(pool.refresh, "eve", tokens["RefreshToken"]) == (
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


def test_disabled_user(cognito: Cognito) -> None:
    """API Reference, AdminDisableUser: the user cannot sign in and its access tokens are revoked; its
    refresh tokens are refused while it is disabled. AdminEnableUser lets it sign in again."""
    pool = cognito.pool()
    tokens = pool.member("fay")
    pool.client.admin_disable_user(UserPoolId=pool.id, Username="fay")
    assert refused(pool.auth, "fay", PASSWORD) == ("NotAuthorizedException", "User is disabled.")
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"]) == REVOKED
    assert refused(pool.refresh, "fay", tokens["RefreshToken"]) == ("NotAuthorizedException", "User is disabled.")
    assert pool.user("fay")["Enabled"] is False
    pool.client.admin_enable_user(UserPoolId=pool.id, Username="fay")
    assert "AuthenticationResult" in pool.auth("fay", PASSWORD)
    fresh = pool.refresh("fay", tokens["RefreshToken"])["AuthenticationResult"]
    assert pool.client.get_user(AccessToken=fresh["AccessToken"])["Username"] == "fay"
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"]) == REVOKED


def test_deleted_user_tokens_open_no_new_account_of_the_name(cognito: Cognito) -> None:
    """API Reference, AdminDeleteUser: the user is gone, and with it what its tokens opened; a new user of
    the same name is another user (another sub)."""
    pool = cognito.pool()
    tokens = pool.member("gus")
    pool.client.admin_delete_user(UserPoolId=pool.id, Username="gus")
    pool.member("gus")
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"]) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    assert refused(pool.refresh, "gus", tokens["RefreshToken"])[0] == "NotAuthorizedException"
