"""Policies and Cognito pool settings, both directions: the one place that knows Cognito's parameter names.

Policy -> pool: the user pool and app client a logical pool needs, as CreateUserPool and
CreateUserPoolClient parameters derived from the policies that name it. Used to provision the embedded
Cognito at start-up, and by anyone creating pools for regapi on another endpoint (the tests do, against
`regapi cognito serve`). Tenants naming the same pool share it: the pool takes the loosest of their rules
(self sign-up open if any tenant allows it, the weakest password policy any accepts, write-once only if
every tenant says so), each tenant's policy narrows it, and the write-once `custom:tenant_id` stamped on
every user keeps the tenants' users apart.

Pool -> problems: a policy compared with the pool and app client it names (`regapi policy check
--against-pool`). Pure: it takes the DescribeUserPool and DescribeUserPoolClient answers as plain
mappings, so the comparison is the same for real Cognito, the embedded one and a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from api.cognito.port import AUTH_SESSION_MINUTES
from api.policy.checks import Problem
from api.policy.model import ORIGIN_ATTRIBUTE, STANDARD_ATTRIBUTES, TENANT_ATTRIBUTE, CharClass, Policy

# A policy's password character class -> the PasswordPolicy flag of the pool that requires it.
PASSWORD_FLAGS: Mapping[CharClass, str] = {
    "lowercase": "RequireLowercase",
    "uppercase": "RequireUppercase",
    "digits": "RequireNumbers",
    "symbols": "RequireSymbols",
}

# ------------------------------------------------------------------ policy -> pool


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
                **{flag: all(cls in p.password.require for p in policies) for cls, flag in PASSWORD_FLAGS.items()},
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
        "AuthSessionValidity": AUTH_SESSION_MINUTES,
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


# ------------------------------------------------------------------ pool -> problems


def against_pool(policy: Policy, pool: Mapping[str, Any], client: Mapping[str, Any]) -> list[Problem]:
    schema = {a["Name"]: a for a in pool.get("SchemaAttributes", [])}
    return [
        *_client_problems(policy, client),
        *_attribute_problems(policy, pool, schema),
        *_sign_up_problems(policy, pool),
        *_password_problems(policy, pool),
        *_secret_problems(policy, client),
    ]


def _client_problems(policy: Policy, client: Mapping[str, Any]) -> list[Problem]:
    if client.get("ClientSecret"):
        return []
    return [
        Problem(
            ("cognito", "client_id"),
            "the app client has no secret: anyone can call SignUp and the other public calls around the policy",
            "give regapi a confidential app client (with a secret) and name it in client_secret_env",
        )
    ]


def _attribute_problems(policy: Policy, pool: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    creating = ["invite", "sign_up"] if policy.registration.self_signup else ["invite"]
    for name, rule in policy.attributes.items():
        attribute = schema.get(name)
        if attribute is None:
            problems.append(
                Problem(
                    ("attributes", name),
                    f"the pool {pool.get('Id')} has no attribute {name}",
                    "add it to the pool (AddCustomAttributes) or remove it from the policy",
                )
            )
            continue
        if rule.mutable and attribute.get("Mutable") is False:
            problems.append(
                Problem(
                    ("attributes", name, "mutable"),
                    f"{name} is immutable in the pool, so it can never be changed after creation",
                    "set mutable: false, as the pool is",
                )
            )
    for stamp in (TENANT_ATTRIBUTE, ORIGIN_ATTRIBUTE):
        if stamp not in schema:
            problems.append(
                Problem(
                    ("cognito", "user_pool_id"),
                    f"the pool has no {stamp}, which regapi stamps on every user it creates",
                    f"add {stamp} (String, immutable) to the pool with AddCustomAttributes",
                )
            )
    for name, attribute in schema.items():
        if not attribute.get("Required") or name == "sub":
            continue
        policy_rule = policy.attributes.get(name)
        missing = [op for op in creating if policy_rule is None or op not in policy_rule.required]
        if missing:
            problems.append(
                Problem(
                    ("attributes", name),
                    f"the pool requires {name} but the policy does not at {', '.join(missing)}: Cognito would refuse",
                    f"add {name} with required: [{', '.join(creating)}]",
                )
            )
    return problems


def _sign_up_problems(policy: Policy, pool: Mapping[str, Any]) -> list[Problem]:
    admin_only = pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
    # Sign-ups awaiting approval are created with the admin calls, so they work on an admin-only pool.
    if policy.registration.self_signup and not policy.registration.approval_required and admin_only:
        return [
            Problem(
                ("registration", "self_signup"),
                "the pool allows administrators only to create users, so sign-ups would be refused",
                "set AllowAdminCreateUserOnly to false on the pool, or self_signup: false",
            )
        ]
    return []


def _password_problems(policy: Policy, pool: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    rules = pool.get("Policies", {}).get("PasswordPolicy", {})
    minimum = int(rules.get("MinimumLength", 8))
    if policy.password.min_length < minimum:
        problems.append(
            Problem(
                ("password", "min_length"),
                f"min_length {policy.password.min_length} is below the pool's {minimum}",
                f"use at least {minimum}: a policy may only be stricter than its pool",
            )
        )
    for name, flag in PASSWORD_FLAGS.items():
        if rules.get(flag) and name not in policy.password.require:
            problems.append(
                Problem(("password", "require"), f"the pool requires {name}", f"add {name} to password.require")
            )
    return problems


def _secret_problems(policy: Policy, client: Mapping[str, Any]) -> list[Problem]:
    has_secret = bool(client.get("ClientSecret"))
    if has_secret and not policy.cognito.client_secret_env:
        return [
            Problem(
                ("cognito", "client_secret_env"),
                "the app client has a secret, so every call needs SECRET_HASH",
                "name the environment variable holding the secret in cognito.client_secret_env",
            )
        ]
    if policy.cognito.client_secret_env and not has_secret:
        return [Problem(("cognito", "client_secret_env"), "the app client has no secret", "remove client_secret_env")]
    return []
