"""Policies and Cognito pool settings, both directions: the one place that knows Cognito's parameter names.

Policy -> pool: the user pool and app client a logical pool needs, as CreateUserPool and
CreateUserPoolClient parameters derived from the policies that name it. Used to provision the embedded
Cognito at start-up, and by anyone creating pools for regapi on another endpoint (the tests do, against
`regapi cognito serve`). Tenants naming the same pool share it: the pool takes the loosest of their rules
(self sign-up open if any tenant allows it, the weakest password policy any accepts, an attribute mutable
if any tenant changes it after creation), each tenant's policy narrows it, and the write-once
`custom:tenant_id` stamped on every user keeps the tenants' users apart.

The trust boundary: a user's access token calls Cognito's UpdateUserAttributes directly, without the
client secret. Cognito bounds that call only by the app client's WriteAttributes and by the pool's
immutable attributes, so the client may write exactly what regapi's own client calls send, and an
attribute that no operation changes after creation is immutable.

Pool -> problems: a policy compared with the pool and app client it names (`regapi policy check
--against-pool`). Pure: it takes the DescribeUserPool and DescribeUserPoolClient answers as plain
mappings, so the comparison is the same for real Cognito, the embedded one and a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from api.cognito.port import AUTH_SESSION_MINUTES
from api.policy.checks import Path, Problem
from api.policy.model import (
    CREATING,
    ORIGIN_ATTRIBUTE,
    STANDARD_ATTRIBUTES,
    TENANT_ATTRIBUTE,
    AttributeSpec,
    CharClass,
    Operation,
    Policy,
)

# A policy's password character class -> the PasswordPolicy flag of the pool that requires it.
PASSWORD_FLAGS: Mapping[CharClass, str] = {
    "lowercase": "RequireLowercase",
    "uppercase": "RequireUppercase",
    "digits": "RequireNumbers",
    "symbols": "RequireSymbols",
}
STAMPS = (TENANT_ATTRIBUTE, ORIGIN_ATTRIBUTE)
# Cognito sets these on a code; a client may write them only when its WriteAttributes name them.
VERIFIED = frozenset({"email_verified", "phone_number_verified"})
# Operations that write a user who exists: a pool attribute they write must be mutable.
AFTER_CREATION = frozenset({Operation.FIRST_SIGN_IN, Operation.PROFILE_UPDATE, Operation.ADMIN_UPDATE})
# Where each operation's attributes reach Cognito, for messages.
CALLS: Mapping[Operation, str] = {
    Operation.SIGN_UP: "sign-up (SignUp)",
    Operation.FIRST_SIGN_IN: "the first sign-in (RespondToAuthChallenge)",
    Operation.PROFILE_UPDATE: "profile updates (UpdateUserAttributes)",
}

# ------------------------------------------------------------------ who writes what


def attribute_writes(policy: Policy) -> dict[str, frozenset[Operation]]:
    """Each attribute regapi writes for this tenant, with the operations that really write it: what
    writable_by allows less what the engine refuses anyway, plus regapi's own writes (its stamps, and
    the address of an e-mail username, both set at creation only)."""
    writes: dict[str, set[Operation]] = {}
    for name, rule in policy.attributes.items():
        ops = set(AttributeSpec.compile(name, rule).writable_ops)
        if not rule.mutable:
            ops.discard(Operation.FIRST_SIGN_IN)  # the user exists by then: write-once is closed
        writes[name] = ops
    for name in (*STAMPS, "email") if policy.username.kind == "email" else STAMPS:
        writes[name] = set(CREATING)  # Cognito never renames a user, so the address never changes
    if not policy.registration.self_signup:
        for ops in writes.values():
            ops.discard(Operation.SIGN_UP)
    return {name: frozenset(ops) for name, ops in writes.items()}


def client_operations(policy: Policy) -> frozenset[Operation]:
    """The operations whose attributes go through the app client, where its WriteAttributes apply:
    SignUp, RespondToAuthChallenge (NEW_PASSWORD_REQUIRED) and the user's UpdateUserAttributes. Invitations,
    sign-ups awaiting approval and admin updates use the Admin* calls, which WriteAttributes do not bound."""
    calls = {Operation.FIRST_SIGN_IN, Operation.PROFILE_UPDATE}
    if policy.registration.self_signup and not policy.registration.approval_required:
        calls.add(Operation.SIGN_UP)
    return frozenset(calls)


def client_writes(policy: Policy) -> dict[str, frozenset[Operation]]:
    """The attributes this tenant's client calls send, each with those calls."""
    calls = client_operations(policy)
    return {name: ops & calls for name, ops in attribute_writes(policy).items() if ops & calls}


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
        for stamp in STAMPS
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
    writes = {name for policy in policies for name in client_writes(policy)}
    reads = {"email", *VERIFIED, *STAMPS, *(name for policy in policies for name in policy.attributes)}
    return {
        "ClientName": "regapi",
        # A confidential client: only the holder of the secret (regapi) can call SignUp, ConfirmSignUp
        # and the sign-in calls, so nobody signs up or confirms around the policies.
        "GenerateSecret": True,
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": (
            "ENABLED" if all(p.registration.prevent_user_existence_errors for p in policies) else "LEGACY"
        ),
        "AuthSessionValidity": AUTH_SESSION_MINUTES,
        # A user's access token needs no secret, and may write whatever this list names: exactly what
        # regapi's client calls send. The stamps are always in it: SignUp sends them, the pool makes them
        # immutable (no token can change them), and an empty list would mean every attribute.
        "WriteAttributes": sorted(writes | set(STAMPS)),
        # regapi reads the stamps and the policies' attributes from ID tokens and GetUser; the user sees
        # only their own account. Named, because an unnamed list may leave custom attributes out.
        "ReadAttributes": sorted(reads),
    }


def _schema_entry(name: str, policies: Sequence[Policy]) -> Mapping[str, Any]:
    # Immutable unless some tenant changes it after creation (first sign-in, profile or admin update):
    # Cognito sets an immutable attribute only in SignUp and AdminCreateUser, so a user's own token cannot
    # rewrite it even where sign-up needs it in WriteAttributes. A real pool's mutability never changes,
    # so a policy that later changes such an attribute needs a new pool (--against-pool says so).
    mutable = any(attribute_writes(p).get(name, frozenset()) & AFTER_CREATION for p in policies)
    if name in STANDARD_ATTRIBUTES:
        # Required attributes can never change on a real pool, so regapi leaves them all optional and
        # lets each tenant's policy require what it needs.
        return {"Name": name, "AttributeDataType": "String", "Mutable": mutable, "Required": False}
    return {
        "Name": name.removeprefix("custom:"),
        "AttributeDataType": "String",
        "Mutable": mutable,
        "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
    }


# ------------------------------------------------------------------ pool -> problems


def against_pool(policy: Policy, pool: Mapping[str, Any], client: Mapping[str, Any]) -> list[Problem]:
    schema = {a["Name"]: a for a in pool.get("SchemaAttributes", [])}
    return [
        *_attribute_problems(policy, pool, schema),
        *_trust_problems(policy, schema, client),
        *_sign_up_problems(policy, pool),
        *_password_problems(policy, pool),
        *_secret_problems(policy, client),
    ]


def _attribute_problems(policy: Policy, pool: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    creating = ["invite", "sign_up"] if policy.registration.self_signup else ["invite"]
    writes = attribute_writes(policy)
    for name in policy.attributes:
        attribute = schema.get(name)
        if attribute is None:
            message = f"the pool {pool.get('Id')} has no attribute {name}"
            fix = "add it to the pool (AddCustomAttributes) or remove it from the policy"
            problems.append(Problem(("attributes", name), message, fix))
            continue
        later = ", ".join(sorted(op.value for op in writes[name] & AFTER_CREATION))
        if later and attribute.get("Mutable") is False:
            message = f"{name} is immutable in the pool, so {later} can never change it after creation"
            fix = f"set mutable: false and writable_by without {later}, as the pool is"
            problems.append(Problem(("attributes", name, "mutable"), message, fix))
    for stamp in (s for s in STAMPS if s not in schema):
        message = f"the pool has no {stamp}, which regapi stamps on every user it creates"
        fix = f"add {stamp} (String, immutable) to the pool with AddCustomAttributes"
        problems.append(Problem(("cognito", "user_pool_id"), message, fix))
    for name, attribute in schema.items():
        rule = policy.attributes.get(name)
        missing = [op for op in creating if rule is None or op not in rule.required]
        if attribute.get("Required") and name != "sub" and missing:
            message = f"the pool requires {name} but the policy does not at {', '.join(missing)}: Cognito would refuse"
            problems.append(
                Problem(("attributes", name), message, f"add {name} with required: [{', '.join(creating)}]")
            )
    return problems


def _trust_problems(policy: Policy, schema: Mapping[str, Any], client: Mapping[str, Any]) -> list[Problem]:
    """What a user's own access token can write at Cognito around the policy, and what the client's
    attribute lists lack that regapi's own calls need."""
    problems: list[Problem] = []
    if not client.get("ClientSecret"):
        message = "the app client has no secret: anyone can call SignUp and the other public calls around the policy"
        fix = "give regapi a confidential app client (with a secret) and name it in client_secret_env"
        problems.append(Problem(("cognito", "client_id"), message, fix))
    listed = set(client.get("WriteAttributes") or [])  # none, or an empty list: Cognito allows every one
    writes, needed = attribute_writes(policy), client_writes(policy)
    loose: list[str] = []
    for name, attribute in schema.items():
        # Required attributes are always writable; *_verified ones only when the list names them.
        open_to_client = name in listed or (name not in VERIFIED and (not listed or attribute.get("Required")))
        if name == "sub" or attribute.get("Mutable") is False or not open_to_client:
            continue
        if name in VERIFIED:
            fix = f"remove {name} from the app client's WriteAttributes"
            problems.append(Problem(("cognito", "client_id"), f"a user can set their own {name} without a code", fix))
        elif name in STAMPS:
            message = f"{name} is mutable in the pool and the app client may write it: a user can rewrite the stamp"
            problems.append(Problem(("cognito", "user_pool_id"), message, _fix(name, needed)))
        elif name in writes and (Operation.PROFILE_UPDATE not in writes[name] or _write_once(policy, name)):
            message = (
                f"{name} is mutable in the pool and the app client may write it, but profile_update may not: "
                "a user can change it with their own access token (UpdateUserAttributes), around the policy"
            )
            problems.append(Problem(_key(policy, name), message, _fix(name, needed)))
        elif name not in writes and (not listed or not policy.cognito.shared):
            loose.append(name)  # in a shared pool, a listed attribute may be another tenant's
    if loose:
        message = f"a user can write {', '.join(loose)} with their own access token, which the policy does not allow"
        fix = f"set the app client's WriteAttributes to {', '.join(sorted(set(needed) | set(STAMPS)))}"
        problems.append(Problem(("cognito", "client_id"), message, fix))
    for name, ops in needed.items():
        if listed and name in schema and name not in listed and not schema[name].get("Required"):
            message = f"the app client may not write {name}, which {_calls(ops)} send: Cognito would refuse them"
            problems.append(Problem(_key(policy, name), message, f"add {name} to the app client's WriteAttributes"))
    readable = set(client.get("ReadAttributes") or [])
    unread = [n for n in (*STAMPS, *policy.attributes) if readable and n in schema and n not in readable]
    if unread:
        message = f"the app client may not read {', '.join(unread)}, which regapi reads from ID tokens and GetUser"
        problems.append(Problem(("cognito", "client_id"), message, "add them to the app client's ReadAttributes"))
    return problems


def _write_once(policy: Policy, name: str) -> bool:
    return name in policy.attributes and not policy.attributes[name].mutable


def _key(policy: Policy, name: str) -> Path:
    if name in STAMPS:
        return ("registration", "self_signup")
    if name not in policy.attributes:
        return ("username", "kind")  # an e-mail username's address
    rule = policy.attributes[name]
    return ("attributes", name, "writable_by") if rule.writable_by is not None else ("attributes", name)


def _fix(name: str, needed: Mapping[str, frozenset[Operation]]) -> str:
    if name not in needed:
        return f"remove {name} from the app client's WriteAttributes"
    rest = "" if name in STAMPS else ", or let only invite and admin_update write it"
    return f"{_calls(needed[name])} send it, so the client must write it: use a pool where it is immutable{rest}"


def _calls(ops: frozenset[Operation]) -> str:
    calls = [call for op, call in CALLS.items() if op in ops]
    return " and ".join(calls) if len(calls) < 3 else f"{calls[0]}, {calls[1]} and {calls[2]}"


def _sign_up_problems(policy: Policy, pool: Mapping[str, Any]) -> list[Problem]:
    admin_only = pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False)
    # Sign-ups awaiting approval are created with the admin calls, so they work on an admin-only pool.
    if not (policy.registration.self_signup and not policy.registration.approval_required and admin_only):
        return []
    message = "the pool allows administrators only to create users, so sign-ups would be refused"
    fix = "set AllowAdminCreateUserOnly to false on the pool, or self_signup: false"
    return [Problem(("registration", "self_signup"), message, fix)]


def _password_problems(policy: Policy, pool: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    rules = pool.get("Policies", {}).get("PasswordPolicy", {})
    minimum = int(rules.get("MinimumLength", 8))
    if policy.password.min_length < minimum:
        message = f"min_length {policy.password.min_length} is below the pool's {minimum}"
        fix = f"use at least {minimum}: a policy may only be stricter than its pool"
        problems.append(Problem(("password", "min_length"), message, fix))
    for name, flag in PASSWORD_FLAGS.items():
        if rules.get(flag) and name not in policy.password.require:
            problems.append(
                Problem(("password", "require"), f"the pool requires {name}", f"add {name} to password.require")
            )
    return problems


def _secret_problems(policy: Policy, client: Mapping[str, Any]) -> list[Problem]:
    has_secret = bool(client.get("ClientSecret"))
    if has_secret and not policy.cognito.client_secret_env:
        message = "the app client has a secret, so every call needs SECRET_HASH"
        fix = "name the environment variable holding the secret in cognito.client_secret_env"
        return [Problem(("cognito", "client_secret_env"), message, fix)]
    if policy.cognito.client_secret_env and not has_secret:
        return [Problem(("cognito", "client_secret_env"), "the app client has no secret", "remove client_secret_env")]
    return []
