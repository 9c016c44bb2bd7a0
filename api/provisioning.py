"""The user pool and app client a logical pool needs, as CreateUserPool and CreateUserPoolClient
parameters derived from the policies that name it.

Used to provision the embedded Cognito at start-up, and by anyone creating pools for regapi on another
endpoint (the tests do, against `regapi cognito serve`). Tenants naming the same pool share it: the
pool takes the loosest of their rules (self sign-up open if any tenant allows it, the weakest password
policy any accepts, write-once only if every tenant says so), each tenant's policy narrows it, and the
write-once `custom:tenant_id` stamped on every user keeps the tenants' users apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from api.policy.model import ORIGIN_ATTRIBUTE, STANDARD_ATTRIBUTES, TENANT_ATTRIBUTE, Policy


def pool_parameters(name: str, policies: Sequence[Policy]) -> dict[str, Any]:
    names: list[str] = ["email"]
    for policy in policies:
        names += [n for n in policy.attributes if n not in names]
    schema = [_schema_entry(n, policies) for n in names]
    schema += [
        {
            "Name": stamp.removeprefix("custom:"),
            "AttributeDataType": "String",
            "Mutable": False,  # stamped once, at creation, by regapi only
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        }
        for stamp in (TENANT_ATTRIBUTE, ORIGIN_ATTRIBUTE)
    ]
    return {
        "PoolName": f"regapi-{name}",
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": min(p.password.min_length for p in policies),
                "RequireLowercase": all("lowercase" in p.password.require for p in policies),
                "RequireUppercase": all("uppercase" in p.password.require for p in policies),
                "RequireNumbers": all("digits" in p.password.require for p in policies),
                "RequireSymbols": all("symbols" in p.password.require for p in policies),
                "TemporaryPasswordValidityDays": max(p.registration.temporary_password_validity_days for p in policies),
            }
        },
        "AdminCreateUserConfig": {
            # Approval sign-ups are created with the admin calls, so only open sign-up opens the pool.
            "AllowAdminCreateUserOnly": not any(
                p.registration.self_signup and not p.registration.approval_required for p in policies
            ),
        },
        "AutoVerifiedAttributes": ["email"],
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        "UsernameConfiguration": {"CaseSensitive": any(p.username.case_sensitive for p in policies)},
        "Schema": schema,
    }


def client_parameters(policies: Iterable[Policy]) -> dict[str, Any]:
    """CreateUserPoolClient parameters, without the UserPoolId the pool's creation returns."""
    policies = list(policies)
    return {
        "ClientName": "regapi",
        # A confidential client: only the holder of the secret (regapi) can call the pool, so nobody can
        # sign up, confirm or write attributes around the policies by calling Cognito directly.
        "GenerateSecret": True,
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": (
            "ENABLED" if all(p.registration.prevent_user_existence_errors for p in policies) else "LEGACY"
        ),
        "AuthSessionValidity": 3,
    }


def _schema_entry(name: str, policies: Sequence[Policy]) -> Mapping[str, Any]:
    rules = [p.attributes[name] for p in policies if name in p.attributes]
    if name in STANDARD_ATTRIBUTES:
        # Required attributes can never change on a real pool, so regapi leaves them all optional and
        # lets each tenant's policy require what it needs.
        return {"Name": name, "AttributeDataType": "String", "Mutable": True, "Required": False}
    return {
        "Name": name.removeprefix("custom:"),
        "AttributeDataType": "String",
        "Mutable": not rules or any(rule.mutable for rule in rules),
        "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
    }
