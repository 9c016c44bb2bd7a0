"""The pool schema, enforced as Cognito does: names, required attributes, types, lengths, immutability,
and the app client's write list.

moto 5.2.5 stores all of this and checks none of it (measured: tests/cognito/test_plain_moto.py shows
some of it; the conformance suite checks what this module adds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from api.cognito.embedded.moto_internals import InvalidParameterException, NotAuthorizedError, Pool, PoolAttribute

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
VERIFIED = frozenset({"email_verified", "phone_number_verified"})
UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"


def _value_problem(attribute: PoolAttribute, value: str) -> str | None:
    data_type = getattr(attribute, "data_type", "String")
    if data_type == "Number":
        try:
            float(value)
        except ValueError:
            return "Number is invalid"
        return None
    if data_type == "Boolean" and value not in ("true", "false"):
        return "Boolean is invalid"
    constraints = getattr(attribute, "string_constraints", None) or {}
    if constraints.get("MaxLength") and len(value) > int(constraints["MaxLength"]):
        return f"String must be no longer than {constraints['MaxLength']} characters"
    if constraints.get("MinLength") and len(value) < int(constraints["MinLength"]):
        return f"String must be no shorter than {constraints['MinLength']} characters"
    return None


def _pairs(attributes: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {a["Name"]: a.get("Value", "") for a in attributes}


def check_client_writes(pool: Pool, client_id: str, names: Iterable[str]) -> None:
    """Public calls may only write what the app client's WriteAttributes allow, and never *_verified."""
    allowed = pool.clients[client_id].extended_config.get("WriteAttributes") or []
    for name in names:
        if (allowed and name not in allowed) or (name in VERIFIED and name not in allowed):
            raise NotAuthorizedError(UNAUTHORIZED_WRITE)


def check_new_user(pool: Pool, attributes: Iterable[Mapping[str, str]], username: str, *, require: bool = True) -> None:
    """SignUp and AdminCreateUser: every name in the schema, values that fit it, and (SignUp only) the
    required ones present. An administrator may leave required attributes out: the user is asked for
    them at the first sign-in, which is what the challenge's requiredAttributes are for."""
    values = _pairs(attributes)
    if "email" in pool.extended_config.get("UsernameAttributes", []) and EMAIL.match(username):
        values.setdefault("email", username)
    if "email" in values and not EMAIL.match(values["email"]):
        raise InvalidParameterException("Invalid email address format.")
    problems = []
    for name, value in values.items():
        attribute = pool.schema_attributes.get(name)
        if attribute is None or name == "sub":
            problems.append(f"{name}: Attribute does not exist in the schema.")
        elif problem := _value_problem(attribute, value):
            problems.append(f"{name}: {problem}")
    if require:
        problems += [f"{name}: The attribute is required" for name in missing_required(pool, values)]
    if problems:
        raise InvalidParameterException("Attributes did not conform to the schema: " + "\n".join(problems))


def check_update(pool: Pool, attributes: Iterable[Mapping[str, str]]) -> None:
    """An update after creation: no unknown names, and write-once attributes stay as they were. A blank
    value deletes the attribute, so it has no value to check."""
    values = _pairs(attributes)
    if values.get("email") and not EMAIL.match(values["email"]):
        raise InvalidParameterException("Invalid email address format.")
    problems = []
    for name, value in values.items():
        attribute = pool.schema_attributes.get(name)
        if attribute is None and name not in VERIFIED:
            problems.append(f"user.{name}: Attribute does not exist in the schema.")
        elif name == "sub" or (attribute is not None and attribute.mutable is False):
            problems.append(f"user.{name}: Attribute cannot be updated. (changing an immutable attribute)")
        elif attribute is not None and value and (problem := _value_problem(attribute, value)):
            problems.append(f"user.{name}: {problem}")
    if problems:
        raise InvalidParameterException("Invalid user attributes: " + "\n".join(problems) + "\n")


def missing_required(pool: Pool, values: Mapping[str, str]) -> list[str]:
    return [
        name
        for name, attribute in pool.schema_attributes.items()
        if attribute.required and name != "sub" and not values.get(name)
    ]


def readable(pool: Pool, client_id: str, values: Mapping[str, str]) -> dict[str, str]:
    """What the app client may read (its ReadAttributes; every attribute when it names none)."""
    allowed = pool.clients[client_id].extended_config.get("ReadAttributes") if client_id in pool.clients else None
    return {name: value for name, value in values.items() if not allowed or name in allowed or name == "sub"}
