"""The decision engine: a pure function from (policy, request) to a Decision.

It does no I/O and keeps no state, so the same request under the same revision always gets the same
decision, and `regapi policy explain` can show exactly what a live request would get. It reports every
violation it finds, not the first, so a form can mark all its fields at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from api.policy.addresses import is_email
from api.policy.characters import forbidden_characters
from api.policy.decision import Decision, Violation, ViolationCode
from api.policy.model import (
    CREATING,
    RESERVED_ATTRIBUTES,
    UPDATING,
    AttributeSpec,
    Operation,
    PasswordOperation,
    TenantPolicy,
)
from api.policy.rules import check_password, check_value, domain_allowed
from api.policy.username import normalize_username, username_problem


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """What the engine decides on. `username` is already normalised (see `normalize_username`); None when
    a dry run (`regapi policy explain`) leaves it out, which skips the username's own rules."""

    operation: Operation | PasswordOperation
    username: str | None
    attributes: tuple[tuple[str, str], ...] = ()
    password: str | None = None
    # First sign-in and updates: the attributes the user already has a value for (set at invite, say).
    existing_attributes: frozenset[str] = frozenset()
    # First sign-in only: attributes the user pool itself still requires (Cognito's requiredAttributes).
    pool_required: frozenset[str] = frozenset()


def evaluate(tenant_policy: TenantPolicy, request: PolicyRequest) -> Decision:
    op = request.operation
    # Each check appends what it finds to this one list (a decision takes a few microseconds: no
    # generators handing violations up through each other).
    found: list[Violation] = []
    if isinstance(op, PasswordOperation):  # a password alone: its rules are the whole decision
        if request.password is not None:
            check_password(tenant_policy.policy.password, request.password, PASSWORD_FIELDS[op], found)
    else:
        _check_request(tenant_policy, request, op, found)
    return Decision(
        tenant=tenant_policy.tenant, operation=op.value, revision=tenant_policy.revision, violations=tuple(found)
    )


# The input field each operation's password arrives in.
PASSWORD_FIELDS: Mapping[Operation | PasswordOperation, str] = {
    Operation.FIRST_SIGN_IN: "newPassword",
    PasswordOperation.RESET: "newPassword",
    PasswordOperation.CHANGE: "proposedPassword",
}


def _check_request(tenant_policy: TenantPolicy, request: PolicyRequest, op: Operation, found: list[Violation]) -> None:
    policy = tenant_policy.policy
    email_username = policy.username.kind == "email"

    if op is Operation.SIGN_UP and not policy.registration.self_signup:
        message = "This organisation registers users by invitation only."
        found.append(Violation(ViolationCode.SELF_SIGNUP_DISABLED, "tenant", None, message))

    creating = op in CREATING  # a new account, with a new name
    if creating and request.username is not None:
        _check_username(tenant_policy, request.username, found)

    sent = _check_attributes(tenant_policy, request, op, found)

    # With e-mail usernames the address is the username; an `email` attribute may only repeat it.
    effective = sent
    if email_username and creating and request.username is not None:
        email = sent.get("email")
        if email is not None and normalize_username(policy, email) != request.username:
            message = "email must be the same as the username."
            found.append(Violation(ViolationCode.EMAIL_MISMATCH, "attributes", "email", message))
        effective = {**sent, "email": request.username}

    # An update sends only what changes (the loader refuses `required` naming one).
    required = tenant_policy.required.get(op, ())
    if email_username and request.username is None:
        required = tuple(name for name in required if name != "email")  # the username, left out, provides it
    if request.pool_required:
        required += tuple(sorted(request.pool_required.difference(required)))
    for name in required:
        # A value of spaces only is as absent as no value: it names nobody and reaches nobody.
        if not effective.get(name, "").strip() and name not in request.existing_attributes:
            found.append(
                Violation(ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "attributes", name, f"{name} is required.")
            )

    email = effective.get("email")
    if (
        policy.email_domains is not None
        and email
        and is_email(email)
        and not domain_allowed(policy.email_domains, email)
    ):
        message = "Addresses of this e-mail domain cannot register here."
        field = "username" if email_username else "attributes"
        found.append(Violation(ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED, field, "email", message))

    if request.password is not None:
        check_password(policy.password, request.password, PASSWORD_FIELDS.get(op, "password"), found)


def _check_attributes(
    tenant_policy: TenantPolicy, request: PolicyRequest, op: Operation, found: list[Violation]
) -> dict[str, str]:
    """Each attribute sent, by its rule; returns the value of each name (a name sent twice is refused)."""
    sent: dict[str, str] = {}
    for name, value in request.attributes:
        if forbidden_characters(name):
            message = "Attribute names cannot contain control characters or invisible formatting characters."
            found.append(Violation(ViolationCode.INVALID_CHARACTER, "attributes", name, message))
        elif name in sent:
            found.append(Violation(ViolationCode.DUPLICATE_ATTRIBUTE, "attributes", name, f"{name} is sent twice."))
        else:
            sent[name] = value
            _check_attribute(tenant_policy, op, name, value, found, existing=request.existing_attributes)
    return sent


def _check_username(tenant_policy: TenantPolicy, username: str, found: list[Violation]) -> None:
    """The rules for a new account's name (README.md, "Usernames"); e-mail tenants get the e-mail messages."""
    problem = username_problem(tenant_policy.policy, username)
    if problem is not None:
        found.append(Violation(ViolationCode.USERNAME_INVALID, "username", None, problem))
        return
    if tenant_policy.policy.username.kind != "email":
        return
    # The address is the username, so the email attribute's own rules apply to it.
    spec = tenant_policy.attributes.get("email")
    if spec is not None:
        check_value(spec, username, found, field="username")


def _check_attribute(
    tenant_policy: TenantPolicy,
    op: Operation,
    name: str,
    value: str,
    found: list[Violation],
    *,
    existing: frozenset[str],
) -> None:
    if name in RESERVED_ATTRIBUTES:
        found.append(
            Violation(ViolationCode.RESERVED_ATTRIBUTE, "attributes", name, f"{name} is set by the system only.")
        )
        return
    spec = tenant_policy.attributes.get(name)
    if spec is None:
        found.append(Violation(ViolationCode.UNKNOWN_ATTRIBUTE, "attributes", name, f"{name} is not accepted here."))
        return
    if op is Operation.FIRST_SIGN_IN:
        # The user exists already: write-once attributes are closed, and Cognito refuses to take an
        # attribute that was provided at invite again ("Cannot modify an already provided email").
        if not spec.rule.mutable:
            message = f"{name} can only be set when the user is created."
            found.append(Violation(ViolationCode.IMMUTABLE_ATTRIBUTE, "attributes", name, message))
            return
        if name in existing:
            message = f"{name} is already set and cannot be sent again."
            found.append(Violation(ViolationCode.ATTRIBUTE_ALREADY_SET, "attributes", name, message))
            return
    if op in UPDATING:
        _check_update(tenant_policy, op, spec, value, found, existing=existing)
    elif op not in spec.writable_ops:
        message = f"{name} cannot be set by this operation."
        found.append(Violation(ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, message))
    else:
        check_value(spec, value, found)


def _check_update(
    tenant_policy: TenantPolicy,
    op: Operation,
    spec: AttributeSpec,
    value: str,
    found: list[Violation],
    *,
    existing: frozenset[str],
) -> None:
    """A change to a user who exists (the user's own profile, or the administrator's)."""
    name = spec.name
    if name == "email" and tenant_policy.policy.username.kind == "email":
        # Cognito never changes a username, and these pools have no e-mail alias to move instead.
        message = "On this tenant the e-mail address is the username, which never changes."
        found.append(Violation(ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, message))
    elif not spec.rule.mutable and name in existing:
        message = f"{name} is write-once and already set."
        found.append(Violation(ViolationCode.IMMUTABLE_ATTRIBUTE, "attributes", name, message))
    elif not value.strip() and spec.required_ops - UPDATING:
        # Cognito deletes an attribute sent empty: one the tenant requires of its users stays set.
        found.append(Violation(ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "attributes", name, f"{name} is required."))
    elif op not in spec.writable_ops:
        who = "you" if op is Operation.PROFILE_UPDATE else "an administrator"
        message = f"{name} cannot be changed by {who}."
        found.append(Violation(ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, message))
    else:
        check_value(spec, value, found)
