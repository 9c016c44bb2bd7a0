"""The policy file format (DESIGN.md section 4) as a strict, typed model.

Every section forbids unknown keys and refuses values of the wrong type without coercion, so a typo in an
operator's file is an error at load time instead of a silently ignored rule. Rules that cannot hold
together (an attribute required where it may not be written, say) are checked in `api.policy.checks`,
which can point at the exact key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator


class Operation(StrEnum):
    """The operations that carry attributes; the names are the policy file's."""

    INVITE = "invite"
    SIGN_UP = "sign_up"
    FIRST_SIGN_IN = "first_sign_in"


OperationName = Literal["invite", "sign_up", "first_sign_in"]
CharClass = Literal["lowercase", "uppercase", "digits", "symbols"]
AttributeFormat = Literal["email", "phone_number", "url", "date", "integer"]

# Cognito's standard attributes (OpenID Connect claims); anything else needs the `custom:` prefix.
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    }
)
# Attributes only Cognito itself may write: a client that sends one is trying to forge state.
RESERVED_ATTRIBUTES = frozenset(
    {"sub", "email_verified", "phone_number_verified", "identities", "cognito:username", "cognito:groups"}
)
CUSTOM_ATTRIBUTE = re.compile(r"^custom:[A-Za-z0-9_]{1,20}$")
# Cognito's limit for a string attribute value.
MAX_ATTRIBUTE_LENGTH = 2048


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CognitoConfig(_Section):
    user_pool: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    user_pool_id: StrictStr | None = None
    client_id: StrictStr | None = None
    client_secret_env: Annotated[StrictStr, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None


class RegistrationConfig(_Section):
    self_signup: StrictBool = False
    approval_required: StrictBool = False
    temporary_password_validity_days: Annotated[StrictInt, Field(ge=1, le=365)] = 7
    prevent_user_existence_errors: StrictBool = True


class UsernameConfig(_Section):
    kind: Literal["email", "username"] = "username"
    case_sensitive: StrictBool = False


class PasswordConfig(_Section):
    # Cognito accepts minimum lengths from 6 to 99.
    min_length: Annotated[StrictInt, Field(ge=6, le=99)] = 8
    require: list[CharClass] = Field(default_factory=list)

    @field_validator("require")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a character class twice")
        return value


class AttributeRule(_Section):
    required: list[OperationName] = Field(default_factory=list)
    mutable: StrictBool = True
    # None means "every operation that can write it": all three for a mutable attribute, creation only
    # (invite, sign_up) for a write-once one.
    writable_by: list[OperationName] | None = None
    format: AttributeFormat | None = None
    pattern: StrictStr | None = None
    enum: list[StrictStr] | None = None
    min_length: Annotated[StrictInt, Field(ge=0, le=MAX_ATTRIBUTE_LENGTH)] | None = None
    max_length: Annotated[StrictInt, Field(ge=1, le=MAX_ATTRIBUTE_LENGTH)] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression ({exc})") from exc
        return value


class EmailDomains(_Section):
    allow: list[StrictStr] | None = None
    deny: list[StrictStr] | None = None


class ApiKey(_Section):
    name: StrictStr
    sha256: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]


class Admins(_Section):
    api_keys: list[ApiKey] = Field(default_factory=list)


class Policy(_Section):
    version: Literal[1]
    display_name: StrictStr
    cognito: CognitoConfig
    registration: RegistrationConfig = Field(default_factory=RegistrationConfig)
    username: UsernameConfig = Field(default_factory=UsernameConfig)
    password: PasswordConfig = Field(default_factory=PasswordConfig)
    attributes: dict[StrictStr, AttributeRule] = Field(default_factory=dict)
    email_domains: EmailDomains | None = None
    admins: Admins = Field(default_factory=Admins)


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute rule compiled for the engine: what a request needs, derived once at load time.

    The engine runs per request; reading derived values from a plain slotted object instead of
    recomputing them from the pydantic model keeps a decision in the microseconds.
    """

    name: str
    rule: AttributeRule
    writable_ops: frozenset[Operation]
    required_ops: frozenset[Operation]
    regex: re.Pattern[str] | None

    @classmethod
    def compile(cls, name: str, rule: AttributeRule) -> AttributeSpec:
        if rule.writable_by is not None:
            writable = frozenset(Operation(op) for op in rule.writable_by)
        elif rule.mutable:
            writable = frozenset(Operation)
        else:  # write-once: only when the user is created
            writable = frozenset({Operation.INVITE, Operation.SIGN_UP})
        return cls(
            name=name,
            rule=rule,
            writable_ops=writable,
            required_ops=frozenset(Operation(op) for op in rule.required),
            regex=re.compile(rule.pattern) if rule.pattern is not None else None,
        )


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    """A loaded policy: the model plus where it came from and the revision decisions are made under."""

    tenant: str
    revision: str
    path: Path
    policy: Policy
    attributes: Mapping[str, AttributeSpec] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        compiled = {name: AttributeSpec.compile(name, rule) for name, rule in self.policy.attributes.items()}
        object.__setattr__(self, "attributes", compiled)
