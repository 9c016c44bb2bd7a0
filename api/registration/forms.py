"""Registration forms: what a frontend should ask for, derived from the policy (and, at first sign-in and
in a profile, from what the user already has)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api.policy import Operation, TenantPolicy
from api.policy.model import CHARACTER_CLASSES, UPDATING, AttributeRule
from api.registration.outcomes import Form, FormField, PasswordRules

_INPUT_TYPES = {"email": "email", "phone_number": "tel", "url": "url", "date": "date", "integer": "number"}


def _input_type(rule: AttributeRule) -> str:
    if rule.enum is not None:
        return "select"
    return _INPUT_TYPES.get(rule.format or "", "text")


def build_form(
    tenant_policy: TenantPolicy,
    operation: Operation,
    *,
    current: Mapping[str, str] | None = None,
    pool_required: Iterable[str] = (),
) -> Form:
    policy = tenant_policy.policy
    current = current or {}
    also_required = set(pool_required)
    fields = []
    for name, spec in tenant_policy.attributes.items():
        rule = spec.rule
        email_username = name == "email" and policy.username.kind == "email"
        if email_username and operation not in (Operation.FIRST_SIGN_IN, *UPDATING):
            continue  # the username is the address: a second e-mail field would only invite mismatches
        already = name in current
        if operation in UPDATING:  # a change: what has a value shows it, and stays writable unless write-once
            writable = operation in spec.writable_ops and not email_username and not (already and not rule.mutable)
        else:  # at first sign-in, what the invitation set is shown locked and must not be sent again
            writable = (
                not already
                and operation in spec.writable_ops
                and not (operation is Operation.FIRST_SIGN_IN and not rule.mutable)
            )
        if not writable and not already:
            continue
        fields.append(
            FormField(
                attribute=name,
                required=not already and (operation in spec.required_ops or name in also_required),
                writable=writable,
                immutable=not rule.mutable,
                already_set=already,
                input_type=_input_type(rule),
                pattern=rule.pattern,
                max_length=rule.max_length,
                options=tuple(rule.enum) if rule.enum is not None else None,
                value=current.get(name) if already else None,
            )
        )
    password = policy.password
    return Form(
        tenant=tenant_policy.tenant,
        operation=operation,
        enabled=operation is not Operation.SIGN_UP or policy.registration.self_signup,
        username_kind=policy.username.kind,
        password=PasswordRules(
            min_length=password.min_length,
            **{f"require_{name}": name in password.require for name in CHARACTER_CLASSES},
        ),
        fields=tuple(fields),
        revision=tenant_policy.revision,
    )
