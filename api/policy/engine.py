"""The decision engine: a pure function from (policy, request) to a Decision.

It does no I/O and keeps no state, so the same request under the same revision always gets the same
decision, and `regapi policy explain` can show exactly what a live request would get. It reports every
violation it finds, not the first, so a form can mark all its fields at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from api.policy.addresses import is_email
from api.policy.characters import forbidden_characters
from api.policy.decision import Decision, Violation, ViolationCode
from api.policy.model import RESERVED_ATTRIBUTES, UPDATING, AttributeSpec, Operation, PasswordOperation, TenantPolicy
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
    existing_attributes: frozenset[str] = field(default_factory=frozenset)
    # First sign-in only: attributes the user pool itself still requires (Cognito's requiredAttributes).
    pool_required: frozenset[str] = field(default_factory=frozenset)


def evaluate(tenant_policy: TenantPolicy, request: PolicyRequest) -> Decision:
    op = request.operation
    if isinstance(op, PasswordOperation):  # a password alone: its rules are the whole decision
        password, rules = request.password, tenant_policy.policy.password
        violations = [] if password is None else list(check_password(rules, password, PASSWORD_FIELDS[op]))
    else:
        violations = list(_violations(tenant_policy, request, op))
    return Decision(
        tenant=tenant_policy.tenant,
        operation=request.operation.value,
        revision=tenant_policy.revision,
        violations=tuple(violations),
    )


# The input field each operation's password arrives in.
PASSWORD_FIELDS: Mapping[Operation | PasswordOperation, str] = {
    Operation.FIRST_SIGN_IN: "newPassword",
    PasswordOperation.RESET: "newPassword",
    PasswordOperation.CHANGE: "proposedPassword",
}


def _violations(tenant_policy: TenantPolicy, request: PolicyRequest, op: Operation) -> Iterable[Violation]:
    policy = tenant_policy.policy
    email_username = policy.username.kind == "email"

    if op is Operation.SIGN_UP and not policy.registration.self_signup:
        yield Violation(
            ViolationCode.SELF_SIGNUP_DISABLED, "tenant", None, "This organisation registers users by invitation only."
        )

    creating = op not in UPDATING and op is not Operation.FIRST_SIGN_IN  # a new account, with a new name
    if creating and request.username is not None:
        yield from _check_username(tenant_policy, request.username)

    sent: dict[str, str] = {}
    for name, value in request.attributes:
        if forbidden_characters(name):
            yield Violation(
                ViolationCode.INVALID_CHARACTER,
                "attributes",
                name,
                "Attribute names cannot contain control characters or invisible formatting characters.",
            )
            continue
        if name in sent:
            yield Violation(ViolationCode.DUPLICATE_ATTRIBUTE, "attributes", name, f"{name} is sent twice.")
            continue
        sent[name] = value
        yield from _check_attribute(tenant_policy, op, name, value, request.existing_attributes)

    # With e-mail usernames the address is the username; an `email` attribute may only repeat it.
    effective = dict(sent)
    if email_username and creating and request.username is not None:
        email = sent.get("email")
        if email is not None and normalize_username(policy, email) != request.username:
            yield Violation(
                ViolationCode.EMAIL_MISMATCH, "attributes", "email", "email must be the same as the username."
            )
        effective["email"] = request.username

    # An update sends only what changes (the loader refuses `required` naming one).
    required = [name for name, spec in tenant_policy.attributes.items() if op in spec.required_ops]
    if email_username and request.username is None:
        required = [name for name in required if name != "email"]  # the username, left out, provides it
    required += sorted(request.pool_required.difference(required))
    for name in required:
        # A value of spaces only is as absent as no value: it names nobody and reaches nobody.
        if not effective.get(name, "").strip() and name not in request.existing_attributes:
            yield Violation(ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "attributes", name, f"{name} is required.")

    email = effective.get("email")
    if (
        policy.email_domains is not None
        and email
        and is_email(email)
        and not domain_allowed(policy.email_domains, email)
    ):
        yield Violation(
            ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED,
            "username" if email_username else "attributes",
            "email",
            "Addresses of this e-mail domain cannot register here.",
        )

    if request.password is not None:
        yield from check_password(policy.password, request.password, PASSWORD_FIELDS.get(op, "password"))


def _check_username(tenant_policy: TenantPolicy, username: str) -> Iterable[Violation]:
    """The rules for a new account's name (README.md, "Usernames"); e-mail tenants get the e-mail messages."""
    problem = username_problem(tenant_policy.policy, username)
    if problem is not None:
        yield Violation(ViolationCode.USERNAME_INVALID, "username", None, problem)
        return
    if tenant_policy.policy.username.kind != "email":
        return
    # The address is the username, so the email attribute's own rules apply to it.
    spec = tenant_policy.attributes.get("email")
    if spec is not None:
        for violation in check_value(spec, username):
            yield replace(violation, field="username")


def _check_attribute(
    tenant_policy: TenantPolicy, op: Operation, name: str, value: str, existing: frozenset[str]
) -> Iterable[Violation]:
    if name in RESERVED_ATTRIBUTES:
        yield Violation(ViolationCode.RESERVED_ATTRIBUTE, "attributes", name, f"{name} is set by the system only.")
        return
    spec = tenant_policy.attributes.get(name)
    if spec is None:
        yield Violation(ViolationCode.UNKNOWN_ATTRIBUTE, "attributes", name, f"{name} is not accepted here.")
        return
    if op is Operation.FIRST_SIGN_IN:
        # The user exists already: write-once attributes are closed, and Cognito refuses to take an
        # attribute that was provided at invite again ("Cannot modify an already provided email").
        if not spec.rule.mutable:
            yield Violation(
                ViolationCode.IMMUTABLE_ATTRIBUTE,
                "attributes",
                name,
                f"{name} can only be set when the user is created.",
            )
            return
        if name in existing:
            yield Violation(
                ViolationCode.ATTRIBUTE_ALREADY_SET,
                "attributes",
                name,
                f"{name} is already set and cannot be sent again.",
            )
            return
    if op in UPDATING:
        yield from _check_update(tenant_policy, op, spec, value, existing)
        return
    if op not in spec.writable_ops:
        yield Violation(
            ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, f"{name} cannot be set by this operation."
        )
        return
    yield from check_value(spec, value)


def _check_update(
    tenant_policy: TenantPolicy, op: Operation, spec: AttributeSpec, value: str, existing: frozenset[str]
) -> Iterable[Violation]:
    """A change to a user who exists (the user's own profile, or the administrator's)."""
    name = spec.name
    if name == "email" and tenant_policy.policy.username.kind == "email":
        # Cognito never changes a username, and these pools have no e-mail alias to move instead.
        message = "On this tenant the e-mail address is the username, which never changes."
        yield Violation(ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, message)
    elif not spec.rule.mutable and name in existing:
        message = f"{name} is write-once and already set."
        yield Violation(ViolationCode.IMMUTABLE_ATTRIBUTE, "attributes", name, message)
    elif not value.strip() and spec.required_ops - UPDATING:
        # Cognito deletes an attribute sent empty: one the tenant requires of its users stays set.
        yield Violation(ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "attributes", name, f"{name} is required.")
    elif op not in spec.writable_ops:
        who = "you" if op is Operation.PROFILE_UPDATE else "an administrator"
        yield Violation(ViolationCode.ATTRIBUTE_NOT_WRITABLE, "attributes", name, f"{name} cannot be changed by {who}.")
    else:
        yield from check_value(spec, value)
