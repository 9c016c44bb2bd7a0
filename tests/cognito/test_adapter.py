"""The boto3 adapter: one error table, SECRET_HASH, and a confidential client end to end over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac

from botocore.exceptions import ClientError

from api.cognito.adapter import secret_hash
from api.cognito.errors import translate
from api.cognito.port import ProviderErrorCode
from tests.helpers.client import Api
from tests.helpers.flows import confirm, sign_in, sign_up


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


def test_error_table() -> None:
    cases = {
        ("NotAuthorizedException", "Incorrect username or password."): ProviderErrorCode.NOT_AUTHORIZED,
        ("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator."): (
            ProviderErrorCode.INVITATION_EXPIRED
        ),
        (
            "NotAuthorizedException",
            "SignUp is not permitted for this user pool",
        ): ProviderErrorCode.SELF_SIGNUP_DISABLED,
        ("NotAuthorizedException", "Invalid session for the user."): ProviderErrorCode.INVALID_SESSION,
        ("CodeMismatchException", ""): ProviderErrorCode.CODE_MISMATCH,
        ("ExpiredCodeException", ""): ProviderErrorCode.CODE_EXPIRED,
        ("LimitExceededException", "Attempt limit exceeded, please try after some time."): (
            ProviderErrorCode.TOO_MANY_ATTEMPTS
        ),
        ("LimitExceededException", "Rate exceeded"): ProviderErrorCode.UNAVAILABLE,
        ("TooManyRequestsException", ""): ProviderErrorCode.UNAVAILABLE,
        ("NotAuthorizedException", "Unable to verify secret hash for client abc"): ProviderErrorCode.MISCONFIGURED,
        ("PasswordResetRequiredException", ""): ProviderErrorCode.PASSWORD_RESET_REQUIRED,
        ("UsernameExistsException", ""): ProviderErrorCode.USERNAME_EXISTS,
        ("InvalidParameterException", "User is already confirmed."): ProviderErrorCode.ALREADY_CONFIRMED,
        ("SomethingNewException", ""): ProviderErrorCode.UNEXPECTED,
    }
    for (name, message), expected in cases.items():
        assert translate(client_error(name, message)).code is expected, name


def test_secret_hash_is_cognitos_formula() -> None:
    expected = base64.b64encode(hmac.new(b"secret", b"aliceclient", hashlib.sha256).digest()).decode()
    assert secret_hash("secret", "alice", "client") == expected


def test_confidential_client_flows_work_because_the_api_sends_secret_hash(api: Api, unique: str) -> None:
    # The vault tenant's app client has a secret; the embedded Cognito refuses any call without the hash.
    username = f"v-{unique}@vault.example"
    assert sign_up(api, username, tenant="vault")["__typename"] == "SignUpSuccess"
    assert (
        confirm(api, username, api.last_code("vault", username), tenant="vault")["__typename"] == "ConfirmSignUpSuccess"
    )
    assert sign_in(api, username, tenant="vault")["__typename"] == "SignInSuccess"
