"""SignUp, the pool schema and confirmation codes."""

from __future__ import annotations

import base64
import json

from tests.helpers.conformance import PASSWORD, Cognito, later, refused


def test_sign_up_refused_on_admin_only_pool(cognito: Cognito) -> None:
    """API Reference, SignUp: with AdminCreateUserConfig.AllowAdminCreateUserOnly, NotAuthorizedException."""
    pool = cognito.pool(admin_only=True)
    assert refused(pool.sign_up, "eve") == ("NotAuthorizedException", "SignUp is not permitted for this user pool")


def test_required_attribute_missing(cognito: Cognito) -> None:
    """Developer Guide, user pool attributes: a required attribute must be given at sign-up."""
    pool = cognito.pool()
    code, message = refused(
        pool.client.sign_up, ClientId=pool.client_id, Username="noemail", Password=PASSWORD, UserAttributes=[]
    )
    assert code == "InvalidParameterException"
    assert message == "Attributes did not conform to the schema: email: The attribute is required"


def test_unknown_and_unprefixed_attributes(cognito: Cognito) -> None:
    """Developer Guide, custom attributes: names not in the schema, or custom ones without `custom:`, are refused."""
    pool = cognito.pool()
    code, message = refused(pool.sign_up, "unknown", custom_nope="1")
    assert (code, message) == (
        "InvalidParameterException",
        "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.",
    )
    assert "badge: Attribute does not exist in the schema." in refused(pool.sign_up, "unprefixed", badge="b")[1]


def test_attribute_types_and_lengths(cognito: Cognito) -> None:
    """API Reference, SchemaAttributeType: StringAttributeConstraints and Number values are enforced."""
    pool = cognito.pool()
    assert refused(pool.sign_up, "long", custom_code="123456") == (
        "InvalidParameterException",
        "Attributes did not conform to the schema: custom:code: String must be no longer than 5 characters",
    )
    assert refused(pool.sign_up, "nan", custom_age="abc")[0] == "InvalidParameterException"
    assert refused(pool.sign_up, "bademail", email="not-an-address") == (
        "InvalidParameterException",
        "Invalid email address format.",
    )


def test_client_write_attributes(cognito: Cognito) -> None:
    """API Reference, CreateUserPoolClient WriteAttributes: a public call may write only those."""
    pool = cognito.pool(client={"WriteAttributes": ["email"]})
    assert refused(pool.sign_up, "writer", name="Not allowed") == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )


def test_client_sent_verified_flag_refused(cognito: Cognito) -> None:
    """Developer Guide, verifying attributes: only Cognito (or an administrator) marks an address verified."""
    pool = cognito.pool()
    assert refused(pool.sign_up, "selfverified", email_verified="true")[0] == "NotAuthorizedException"


def test_code_generated_and_delivered_with_masked_destination(cognito: Cognito) -> None:
    """API Reference, SignUp CodeDeliveryDetails: the medium used and a masked destination."""
    pool = cognito.pool()
    result = pool.sign_up("ann")
    assert result["UserConfirmed"] is False
    assert result["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = pool.code("ann")
    assert len(code) == 6
    assert code.isdigit()


def test_wrong_code_is_code_mismatch(cognito: Cognito) -> None:
    """API Reference, ConfirmSignUp: CodeMismatchException for a wrong code."""
    pool = cognito.pool()
    pool.sign_up("wrong")
    code = pool.code("wrong")
    other = f"{(int(code) + 1) % 1_000_000:06d}"
    assert refused(pool.confirm, "wrong", other) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )


def test_code_expires_after_24_hours(cognito: Cognito) -> None:
    """Developer Guide, signing up users: the confirmation code is valid for 24 hours."""
    pool = cognito.pool()
    pool.sign_up("late")
    code = pool.code("late")
    later(cognito, hours=24, seconds=1)
    assert refused(pool.confirm, "late", code)[0] == "ExpiredCodeException"


def test_resend_replaces_the_code(cognito: Cognito) -> None:
    """API Reference, ResendConfirmationCode: a new code is sent; the earlier one no longer confirms."""
    pool = cognito.pool()
    pool.sign_up("again")
    first = pool.code("again")
    details = pool.client.resend_confirmation_code(ClientId=pool.client_id, Username="again")["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    second = pool.code("again")
    if first != second:
        assert refused(pool.confirm, "again", first)[0] == "CodeMismatchException"
    pool.confirm("again", second)
    assert pool.user("again")["UserStatus"] == "CONFIRMED"


def test_code_guessing_is_attempt_limited(cognito: Cognito) -> None:
    """API Reference, ConfirmSignUp: LimitExceededException once too many wrong codes were tried."""
    pool = cognito.pool()
    pool.sign_up("guess")
    code = pool.code("guess")
    for _ in range(5):
        refused(pool.confirm, "guess", f"{(int(code) + 1) % 1_000_000:06d}")
    assert refused(pool.confirm, "guess", code) == (
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )


def test_confirmation_verifies_the_address(cognito: Cognito) -> None:
    """Developer Guide, verifying attributes: confirming with the e-mailed code sets email_verified."""
    pool = cognito.pool()
    pool.sign_up("verify")
    pool.confirm("verify", pool.code("verify"))
    assert pool.attributes("verify")["email_verified"] == "true"
    assert pool.user("verify")["UserStatus"] == "CONFIRMED"


def test_id_token_and_get_user_show_what_the_client_may_read(cognito: Cognito) -> None:
    """Developer Guide, ID token payload; API Reference, CreateUserPoolClient ReadAttributes."""
    pool = cognito.pool(client={"ReadAttributes": ["email", "email_verified"]})
    pool.sign_up("reader", name="Ann Reader")
    pool.confirm("reader", pool.code("reader"))
    tokens = pool.auth("reader", PASSWORD)["AuthenticationResult"]
    payload = json.loads(base64.urlsafe_b64decode(tokens["IdToken"].split(".")[1] + "=="))
    assert payload["email"] == "reader@example.com"
    assert payload["email_verified"] is True
    assert "name" not in payload
    shown = pool.client.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    assert {a["Name"] for a in shown} == {"sub", "email", "email_verified"}
