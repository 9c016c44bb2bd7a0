"""A policy compared with the real user pool and app client it names (`regapi policy check --against-pool`).

Pure: it takes the DescribeUserPool and DescribeUserPoolClient answers as plain mappings, so the
comparison is the same for real Cognito, the embedded one and a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.policy.checks import Problem
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE, Policy

_CLASSES = {
    "lowercase": "RequireLowercase",
    "uppercase": "RequireUppercase",
    "digits": "RequireNumbers",
    "symbols": "RequireSymbols",
}


def against_pool(policy: Policy, pool: Mapping[str, Any], client: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    schema = {a["Name"]: a for a in pool.get("SchemaAttributes", [])}
    creating = ["invite", "sign_up"] if policy.registration.self_signup else ["invite"]
    if not client.get("ClientSecret"):
        problems.append(
            Problem(
                ("cognito", "client_id"),
                "the app client has no secret: anyone can call SignUp and the other public calls around the policy",
                "give regapi a confidential app client (with a secret) and name it in client_secret_env",
            )
        )
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
    admin_only = pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
    # Sign-ups awaiting approval are created with the admin calls, so they work on an admin-only pool.
    if policy.registration.self_signup and not policy.registration.approval_required and admin_only:
        problems.append(
            Problem(
                ("registration", "self_signup"),
                "the pool allows administrators only to create users, so sign-ups would be refused",
                "set AllowAdminCreateUserOnly to false on the pool, or self_signup: false",
            )
        )
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
    for name, flag in _CLASSES.items():
        if rules.get(flag) and name not in policy.password.require:
            problems.append(
                Problem(("password", "require"), f"the pool requires {name}", f"add {name} to password.require")
            )
    has_secret = bool(client.get("ClientSecret"))
    if has_secret and not policy.cognito.client_secret_env:
        problems.append(
            Problem(
                ("cognito", "client_secret_env"),
                "the app client has a secret, so every call needs SECRET_HASH",
                "name the environment variable holding the secret in cognito.client_secret_env",
            )
        )
    if policy.cognito.client_secret_env and not has_secret:
        problems.append(
            Problem(("cognito", "client_secret_env"), "the app client has no secret", "remove client_secret_env")
        )
    return problems
