"""Administrator calls a developer uses beside the flows."""

from __future__ import annotations

from tests.helpers.conformance import Cognito, refused


def test_describe_lists_standard_attributes(cognito: Cognito) -> None:
    """API Reference, DescribeUserPool SchemaAttributes: every standard attribute, plus the custom ones."""
    pool = cognito.pool()
    names = {a["Name"] for a in pool.client.describe_user_pool(UserPoolId=pool.id)["UserPool"]["SchemaAttributes"]}
    assert {"sub", "email", "phone_number", "given_name", "custom:badge"} <= names


def test_immutable_attribute_cannot_be_updated(cognito: Cognito) -> None:
    """Developer Guide, custom attributes: an immutable attribute is set when the user is created, never after."""
    pool = cognito.pool(admin_only=True)
    pool.client.admin_create_user(
        UserPoolId=pool.id,
        Username="badge",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "b@example.com"}, {"Name": "custom:badge", "Value": "one"}],
    )
    code, message = refused(
        pool.client.admin_update_user_attributes,
        UserPoolId=pool.id,
        Username="badge",
        UserAttributes=[{"Name": "custom:badge", "Value": "two"}],
    )
    assert code == "InvalidParameterException"
    assert "immutable" in message
    assert pool.attributes("badge")["custom:badge"] == "one"
    assert (
        refused(
            pool.client.admin_update_user_attributes,
            UserPoolId=pool.id,
            Username="badge",
            UserAttributes=[{"Name": "custom:nope", "Value": "x"}],
        )[0]
        == "InvalidParameterException"
    )


def test_admin_confirm_only_for_unconfirmed_users(cognito: Cognito) -> None:
    """API Reference, AdminConfirmSignUp: confirms a user who signed up and is UNCONFIRMED."""
    pool = cognito.pool()
    pool.invite("invited")
    assert refused(pool.client.admin_confirm_sign_up, UserPoolId=pool.id, Username="invited") == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD",
    )
    pool.sign_up("pending")
    pool.client.admin_confirm_sign_up(UserPoolId=pool.id, Username="pending")
    assert pool.user("pending")["UserStatus"] == "CONFIRMED"
