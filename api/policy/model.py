"""The policy file format (README.md, "Policy files") as a strict, typed model.

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
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from api.policy.events import EventType
from api.policy.pages import Pages


class Operation(StrEnum):
    """The operations that carry attributes; the names are the policy file's."""

    INVITE = "invite"
    SIGN_UP = "sign_up"
    FIRST_SIGN_IN = "first_sign_in"
    PROFILE_UPDATE = "profile_update"  # the user, with an access token
    ADMIN_UPDATE = "admin_update"  # the tenant's administrator


class PasswordOperation(StrEnum):
    """The operations that set only a password: decided on the password rules alone."""

    RESET = "password_reset"  # confirmForgotPassword
    CHANGE = "password_change"  # changePassword


OperationName = Literal["invite", "sign_up", "first_sign_in", "profile_update", "admin_update"]
# The operations that create a user: a write-once attribute may be set there (and, while unset, by any
# operation its writable_by names).
CREATING: frozenset[Operation] = frozenset({Operation.INVITE, Operation.SIGN_UP})
# The operations that change a user who exists: they send only what changes.
UPDATING: frozenset[Operation] = frozenset({Operation.PROFILE_UPDATE, Operation.ADMIN_UPDATE})
EVERY_OPERATION: frozenset[Operation] = frozenset(Operation)
_OPERATIONS: Mapping[str, Operation] = {op.value: op for op in Operation}  # by the policy file's names
CharClass = Literal["lowercase", "uppercase", "digits", "symbols"]
# Every character class a password policy can require: the one list of their names.
CHARACTER_CLASSES: tuple[CharClass, ...] = get_args(CharClass)
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
# The write-once attribute regapi stamps on every user it creates, naming the tenant; tenants that share
# a pool are kept apart by it.
TENANT_ATTRIBUTE = "custom:tenant_id"
# Also stamped once by regapi: how the user came, "invite" or "sign_up", which Cognito cannot tell apart
# once a user is confirmed.
ORIGIN_ATTRIBUTE = "custom:origin"
# Attributes only Cognito, or regapi itself, may write: a client that sends one is trying to forge state.
RESERVED_ATTRIBUTES = frozenset(
    {
        "sub",
        "email_verified",
        "phone_number_verified",
        "identities",
        "cognito:username",
        "cognito:groups",
        TENANT_ATTRIBUTE,
        ORIGIN_ATTRIBUTE,
    }
)
# Reserved, yet a partner's webhook may ask for them: whether an address is proven (an approved sign-up is
# CONFIRMED before its owner proves the address).
VERIFICATION_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})
CUSTOM_ATTRIBUTE = re.compile(r"^custom:[A-Za-z0-9_]{1,20}$")
# Cognito's limit for a string attribute value.
MAX_ATTRIBUTE_LENGTH = 2048


class _Section(BaseModel):
    # Attribute docstrings become the JSON Schema's descriptions, which editors show on hover.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class CognitoConfig(_Section):
    user_pool: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    """Logical pool name; the embedded backend creates one pool per name."""
    shared: StrictBool = False
    """true: shares the pool knowingly; every file naming the pool must say so (usernames are unique across them)."""
    user_pool_id: StrictStr | None = None
    """aws backend: the id of the existing user pool."""
    client_id: StrictStr | None = None
    """aws backend: the id of the app client regapi calls through."""
    client_secret_env: Annotated[StrictStr, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None
    """Name of the environment variable holding the app client's secret (SECRET_HASH is computed from it)."""


class RegistrationConfig(_Section):
    self_signup: StrictBool = False
    """false: admin-invite only (Cognito's AllowAdminCreateUserOnly); true: signUp is open."""
    approval_required: StrictBool = False
    """true: self sign-ups send no code and wait for an administrator's approveSignUp."""
    temporary_password_validity_days: Annotated[StrictInt, Field(ge=1, le=365)] = 7
    """Days an invitation's temporary password stays valid."""
    prevent_user_existence_errors: StrictBool = True
    """true: no answer of a public mutation reveals whether a user exists."""


class UsernameConfig(_Section):
    kind: Literal["email", "username"] = "username"
    """email: the username is the e-mail address; username: a plain name."""
    case_sensitive: StrictBool = False
    """false: Alice and alice are one user."""


class PasswordConfig(_Section):
    min_length: Annotated[StrictInt, Field(ge=6, le=99)] = 8
    """Minimum length (Cognito accepts 6 to 99)."""
    require: list[CharClass] = Field(default_factory=list)
    """Character classes a password must contain."""

    @field_validator("require")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a character class twice")
        return value


class AttributeRule(_Section):
    required: list[OperationName] = Field(default_factory=list)
    """Operations that must send it (first_sign_in: asked for at the first-login challenge)."""
    mutable: StrictBool = True
    """false: write-once, only when the user is created."""
    writable_by: list[OperationName] | None = None
    """Operations that may set it; default: every one (profile_update too) if mutable, invite and sign_up if not."""
    format: AttributeFormat | None = None
    """A built-in format the value must have."""
    pattern: StrictStr | None = None
    """A regular expression the whole value must match."""
    enum: list[StrictStr] | None = None
    """The only values accepted."""
    min_length: Annotated[StrictInt, Field(ge=0, le=MAX_ATTRIBUTE_LENGTH)] | None = None
    """Minimum length of the value."""
    max_length: Annotated[StrictInt, Field(ge=1, le=MAX_ATTRIBUTE_LENGTH)] | None = None
    """Maximum length of the value (Cognito's cap, 2048, applies anyway)."""
    multiline: StrictBool = False
    """true: the value may contain line breaks (LF, CRLF), as a postal address does; other controls stay refused."""

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
    """Only these domains may register (`*.example.com` also matches subdomains)."""
    deny: list[StrictStr] | None = None
    """These domains may not register."""


class ApiKey(_Section):
    name: StrictStr
    """Who holds the key; logged when it is used."""
    sha256: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    """sha256 hex digest of the key (`printf %s KEY | sha256sum`); never the key itself."""


# "5 per 15 minutes", "20 per hour": the `limits` library's notation.
Rate = Annotated[StrictStr, Field(pattern=r"^[1-9][0-9]* per ([1-9][0-9]* )?(second|minute|hour|day)s?$")]


class AttemptLimits(_Section):
    """How many tries regapi allows before it answers TOO_MANY_ATTEMPTS, whether or not the user exists."""

    wrong_codes_per_user: Rate = "5 per 15 minutes"
    """Wrong confirmation codes for one username; then even the right code waits."""
    wrong_passwords_per_user: Rate = "10 per 15 minutes"
    """Failed sign-ins for one username."""
    resends_per_user: Rate = "5 per hour"
    """Confirmation codes re-sent to one username (Cognito's own quota)."""
    resets_per_user: Rate = "5 per hour"
    """Password reset codes sent to one username (forgotPassword)."""
    attempts_per_address: Rate = "100 per 15 minutes"
    """Confirmations, sign-ins, challenge answers and resends from one client address."""
    sign_ups_per_address: Rate = "20 per hour"
    """Sign-ups from one client address."""
    sign_ups_per_tenant: Rate = "1000 per hour"
    """Sign-ups for the whole tenant."""
    invitations_per_tenant: Rate = "1000 per hour"
    """Invitations for the whole tenant."""


class Cors(_Section):
    allowed_origins: list[Annotated[StrictStr, Field(pattern=r"^https?://[^/\s]+$")]] = Field(default_factory=list)
    """Browser origins (scheme://host[:port]) whose pages may call this tenant; in development loopback ones too."""


class Admins(_Section):
    api_keys: list[ApiKey] = Field(default_factory=list)
    """API keys that may call the admin operations of this tenant."""
    groups: list[StrictStr] = Field(default_factory=list)
    """Cognito groups of the tenant's pool whose members' access tokens may call the admin operations."""


class Webhook(_Section):
    url: Annotated[StrictStr, Field(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048)]
    """Where the events are POSTed (https in production; never a loopback or private address there)."""
    secret_env: Annotated[StrictStr, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]
    """Name of the environment variable holding its Standard Webhooks secret (`whsec_...`), never the secret."""
    events: Annotated[list[EventType], Field(min_length=1)]
    """The event types it receives."""
    attributes: list[StrictStr] = Field(default_factory=list)
    """The user attributes its events carry (the policy's, email_verified, phone_number_verified); none by default."""


class Events(_Section):
    webhooks: list[Webhook] = Field(default_factory=list)
    """The partners' endpoints that receive this tenant's registration events, signed."""


class Policy(_Section):
    """A tenant's registration policy for regapi: policies/<tenant>.yaml."""

    version: Literal[1]
    """The format version: 1."""
    display_name: StrictStr
    """The tenant's name, for people."""
    cognito: CognitoConfig
    registration: RegistrationConfig = Field(default_factory=RegistrationConfig)
    username: UsernameConfig = Field(default_factory=UsernameConfig)
    password: PasswordConfig = Field(default_factory=PasswordConfig)
    """Password rules; they may only be stricter than the pool's."""
    attributes: dict[StrictStr, AttributeRule] = Field(default_factory=dict)
    """The allow-list of attributes: anything not named here is refused."""
    email_domains: EmailDomains | None = None
    cors: Cors = Field(default_factory=Cors)
    limits: AttemptLimits = Field(default_factory=AttemptLimits)
    admins: Admins = Field(default_factory=Admins)
    events: Events = Field(default_factory=Events)
    pages: Pages = Field(default_factory=Pages)
    """The hosted registration pages (/t/<tenant>/sign-up, ...): languages, branding, the way back to the app."""


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file, for editors (`# yaml-language-server: $schema=...`) and CI."""
    schema = Policy.model_json_schema()
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "regapi tenant policy"}


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
        # Run for every attribute of every file at start-up: dictionary lookups, not Operation(name) calls.
        if rule.writable_by is not None:
            writable = frozenset(_OPERATIONS[op] for op in rule.writable_by)
        elif rule.mutable:
            writable = EVERY_OPERATION
        else:  # write-once: only when the user is created
            writable = CREATING
        return cls(
            name=name,
            rule=rule,
            writable_ops=writable,
            required_ops=frozenset(_OPERATIONS[op] for op in rule.required),
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
    # The attributes each operation requires, in the policy's order (empty for most operations).
    required: Mapping[Operation, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        compiled = {name: AttributeSpec.compile(name, rule) for name, rule in self.policy.attributes.items()}
        object.__setattr__(self, "attributes", compiled)
        required: dict[Operation, tuple[str, ...]] = {}
        for spec in compiled.values():
            for op in spec.required_ops:
                required[op] = (*required.get(op, ()), spec.name)
        object.__setattr__(self, "required", required)
