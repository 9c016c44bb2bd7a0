"""The signed-in user's own calls, and an administrator's changes to a user's attributes."""

from __future__ import annotations

from typing import Any

from tests.helpers.conformance import PASSWORD, Cognito, Pool, later, refused


def shown(pool: Pool, tokens: dict[str, Any]) -> dict[str, str]:
    attributes = pool.client.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    return {a["Name"]: a["Value"] for a in attributes}


def update(pool: Pool, tokens: dict[str, Any], **values: str) -> dict[str, Any]:
    attributes = [{"Name": k.replace("custom_", "custom:"), "Value": v} for k, v in values.items()]
    result: dict[str, Any] = pool.client.update_user_attributes(
        AccessToken=tokens["AccessToken"], UserAttributes=attributes
    )
    return result


def verify(pool: Pool, tokens: dict[str, Any], code: str) -> None:
    pool.client.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email", Code=code)


def test_update_refuses_unknown_immutable_and_unwritable_attributes(cognito: Cognito) -> None:
    """API Reference, UpdateUserAttributes and CreateUserPoolClient WriteAttributes: the pool schema and the
    app client's write list apply to the user's own changes."""
    pool = cognito.pool(client={"WriteAttributes": ["email", "name", "custom:badge", "custom:nope"]})
    tokens = pool.member("ann", custom_badge="one")
    assert refused(update, pool, tokens, custom_nope="1")[0] == "InvalidParameterException"
    code, message = refused(update, pool, tokens, custom_badge="two")
    assert code == "InvalidParameterException"
    assert "immutable" in message
    assert refused(update, pool, tokens, custom_code="12") == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    assert shown(pool, tokens)["custom:badge"] == "one"
    update(pool, tokens, name="Ann")
    assert shown(pool, tokens)["name"] == "Ann"


def test_changed_email_is_unverified_until_its_code(cognito: Cognito) -> None:
    """Developer Guide, verifying when users change their email: the new address is unverified and sent a
    code (CodeDeliveryDetailsList); VerifyUserAttribute checks it and marks the address verified."""
    pool = cognito.pool()
    tokens = pool.member("bob")
    result = update(pool, tokens, email="robert@example.org")
    assert result["CodeDeliveryDetailsList"] == [
        {"Destination": "r***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    assert (shown(pool, tokens)["email"], shown(pool, tokens)["email_verified"]) == ("robert@example.org", "false")
    assert refused(verify, pool, tokens, "not-the-code") == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    (message,) = [m for m in cognito.outbox.messages(username="bob") if m.kind == "VERIFICATION_CODE"]
    assert message.destination == "robert@example.org"
    assert message.code is not None
    verify(pool, tokens, message.code)
    assert shown(pool, tokens)["email_verified"] == "true"
    assert refused(verify, pool, tokens, message.code)[0] == "CodeMismatchException"  # spent


def test_verification_code_expires(cognito: Cognito) -> None:
    """Developer Guide: a verification code is valid for 24 hours (and an access token for one)."""
    pool = cognito.pool()
    tokens = pool.member("late")
    update(pool, tokens, email="late@example.org")
    code = pool.code("late", "VERIFICATION_CODE")
    later(cognito, hours=24, seconds=1)
    tokens = pool.auth("late", PASSWORD)["AuthenticationResult"]
    assert refused(verify, pool, tokens, code)[0] == "ExpiredCodeException"
    details = pool.client.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email"
    )["CodeDeliveryDetails"]
    assert details["Destination"] == "l***@e***"
    verify(pool, tokens, pool.code("late", "VERIFICATION_CODE"))
    assert shown(pool, tokens)["email_verified"] == "true"


def test_email_kept_until_verified_when_the_pool_requires_it(cognito: Cognito) -> None:
    """API Reference, UserAttributeUpdateSettingsType: with AttributesRequireVerificationBeforeUpdate, the
    value changes only once the code sent to the new address is verified."""
    pool = cognito.pool(UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]})
    tokens = pool.member("carl")
    update(pool, tokens, email="carl@example.org")
    assert (shown(pool, tokens)["email"], shown(pool, tokens)["email_verified"]) == ("carl@example.com", "true")
    (message,) = [m for m in cognito.outbox.messages(username="carl") if m.kind == "VERIFICATION_CODE"]
    assert message.destination == "carl@example.org"
    assert message.code is not None
    verify(pool, tokens, message.code)
    assert (shown(pool, tokens)["email"], shown(pool, tokens)["email_verified"]) == ("carl@example.org", "true")


def test_blank_value_deletes_the_attribute(cognito: Cognito) -> None:
    """API Reference, UpdateUserAttributes: an attribute submitted with a blank value is deleted."""
    pool = cognito.pool()
    tokens = pool.member("dora", name="Dora")
    update(pool, tokens, name="")
    assert "name" not in shown(pool, tokens)


def test_admin_changed_email_sent_a_code_unless_vouched_for(cognito: Cognito) -> None:
    """API Reference, AdminUpdateUserAttributes: a changed address needs verifying (a code is sent), unless
    the same request sets email_verified to true, when no message is sent."""
    pool = cognito.pool()
    pool.member("eve")
    change = pool.client.admin_update_user_attributes
    change(UserPoolId=pool.id, Username="eve", UserAttributes=[{"Name": "email", "Value": "eve@example.org"}])
    assert pool.attributes("eve")["email_verified"] == "false"
    assert [m.destination for m in cognito.outbox.messages(username="eve") if m.kind == "VERIFICATION_CODE"] == [
        "eve@example.org"
    ]
    vouched = [{"Name": "email", "Value": "eve@example.net"}, {"Name": "email_verified", "Value": "true"}]
    change(UserPoolId=pool.id, Username="eve", UserAttributes=vouched)
    assert pool.attributes("eve")["email_verified"] == "true"
    assert len([m for m in cognito.outbox.messages(username="eve") if m.kind == "VERIFICATION_CODE"]) == 1


def test_change_password(cognito: Cognito) -> None:
    """API Reference, ChangePassword: the previous password must be the user's, the new one meet the policy."""
    pool = cognito.pool()
    tokens = pool.member("fay")
    change = pool.client.change_password
    new = "Fresh-Passw0rd!"
    assert refused(
        change, AccessToken=tokens["AccessToken"], PreviousPassword="Wrong-Passw0rd!", ProposedPassword=new
    ) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert refused(change, AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword="weak")[
        0
    ] == ("InvalidPasswordException")
    change(AccessToken=tokens["AccessToken"], PreviousPassword=PASSWORD, ProposedPassword=new)
    assert "AuthenticationResult" in pool.auth("fay", new)
