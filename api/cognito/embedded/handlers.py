"""Which of moto's cognito-idp handlers the fidelity layer replaces or wraps, by moto's method name.

moto stores user-pool state but accepts any confirmation code, generates no temporary password, never
expires anything, lets a challenge session answer for any user and any code reset any password. The
handlers of the area modules (pools, sign_up, invitations, authentication, recovery, profile, users)
behave as Cognito's API reference documents for the user-pool calls regapi makes, and the admin calls a
developer uses beside them; three of them are calls moto lacks (ResendConfirmationCode,
VerifyUserAttribute, GetUserAttributeVerificationCode). A boto3 client, and therefore the unchanged
adapter, sees Cognito's answers, in-process and over HTTP alike.

They are installed on moto's classes once per process (`install`), with the signing of every token by
regapi's key (api.cognito.embedded.signing); how is moto_internals' business.
The state moto lacks lives in `api.cognito.embedded.state`.
"""

from __future__ import annotations

from api.cognito.embedded import (
    authentication,
    invitations,
    lookups,
    moto_internals,
    pools,
    profile,
    recovery,
    sign_up,
    signing,
    users,
)
from api.cognito.embedded.checks import check_password

REPLACED: dict[str, moto_internals.Handler] = {
    "create_user_pool": pools.create_user_pool,
    "update_user_pool": pools.update_user_pool,
    "sign_up": sign_up.sign_up,
    "confirm_sign_up": sign_up.confirm_sign_up,
    "resend_confirmation_code": sign_up.resend_confirmation_code,
    "admin_confirm_sign_up": sign_up.admin_confirm_sign_up,
    "admin_create_user": invitations.admin_create_user,
    "initiate_auth": authentication.initiate_auth,
    "admin_initiate_auth": authentication.admin_initiate_auth,
    "forgot_password": recovery.forgot_password,
    "confirm_forgot_password": recovery.confirm_forgot_password,
    "admin_reset_user_password": recovery.admin_reset_user_password,
    "get_user": profile.get_user,
    "update_user_attributes": profile.update_user_attributes,
    "verify_user_attribute": profile.verify_user_attribute,
    "get_user_attribute_verification_code": profile.get_user_attribute_verification_code,
    "change_password": profile.change_password,
    "global_sign_out": profile.global_sign_out,
    "admin_update_user_attributes": users.admin_update_user_attributes,
    "admin_disable_user": users.admin_disable_user,
    "admin_user_global_sign_out": users.admin_user_global_sign_out,
    "admin_delete_user": users.admin_delete_user,
}
# Checks run before moto's own handler, which then does the work; the tokens it issues are filed.
WRAPPED: dict[str, moto_internals.Wrapper] = {
    "respond_to_auth_challenge": authentication.answering,
    "admin_respond_to_auth_challenge": authentication.answering,
}


def install() -> None:
    """Put the faithful handlers in place of moto's; idempotent, process-wide."""
    moto_internals.install(
        REPLACED,
        WRAPPED,
        create_id_token=authentication.create_id_token,
        check_password=check_password,
        lookups=lookups,
        resign=signing.resign,
    )
