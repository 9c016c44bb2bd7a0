"""The engine on a user who exists: the user's own profile updates, the administrator's, and the
operations that set a password alone; and the load-time rules that keep them satisfiable."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.policy import Operation, PasswordOperation, PolicyLoadError, TenantPolicy, evaluate, load_policy
from api.policy.engine import PolicyRequest

PROFILE = """\
version: 1
display_name: Profile
cognito: {user_pool: profile}
registration: {self_signup: true}
username: {kind: username}
password: {min_length: 10, require: [digits]}
attributes:
  email: {required: [sign_up], format: email}
  name: {required: [sign_up], max_length: 20}
  nickname: {}
  custom:plan: {mutable: false, writable_by: [invite, sign_up]}
  custom:badge: {mutable: false, writable_by: [invite, admin_update]}
  custom:level: {writable_by: [invite, admin_update], enum: [one, two]}
email_domains: {allow: [profile.example]}
"""


def policy(tmp_path: Path, text: str = PROFILE, name: str = "profile") -> TenantPolicy:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def violations(tenant: TenantPolicy, op: Operation, existing: frozenset[str] = frozenset(), **values: str) -> set:
    attributes = tuple(
        (name.replace("_", ":", 1) if name.startswith("custom_") else name, v) for name, v in values.items()
    )
    request = PolicyRequest(op, "someone", attributes, existing_attributes=existing)
    return {(v.code.value, v.attribute) for v in evaluate(tenant, request).violations}


def test_a_profile_update_changes_what_the_user_may_write_and_nothing_required(tmp_path: Path) -> None:
    tenant = policy(tmp_path)
    assert violations(tenant, Operation.PROFILE_UPDATE, nickname="Nick") == set()  # name not re-sent: not required
    assert violations(tenant, Operation.PROFILE_UPDATE, name="x" * 21) == {("TOO_LONG", "name")}
    assert violations(tenant, Operation.PROFILE_UPDATE, email="me@elsewhere.example") == {
        ("EMAIL_DOMAIN_NOT_ALLOWED", "email")
    }


def test_write_once_and_admin_only_attributes_are_refused_to_the_user(tmp_path: Path) -> None:
    tenant = policy(tmp_path)
    set_already = frozenset({"custom:plan", "custom:badge"})
    assert violations(tenant, Operation.PROFILE_UPDATE, set_already, custom_plan="pro") == {
        ("IMMUTABLE_ATTRIBUTE", "custom:plan")
    }
    assert violations(tenant, Operation.PROFILE_UPDATE, custom_plan="pro") == {
        ("ATTRIBUTE_NOT_WRITABLE", "custom:plan")
    }
    assert violations(tenant, Operation.PROFILE_UPDATE, custom_level="one") == {
        ("ATTRIBUTE_NOT_WRITABLE", "custom:level")
    }
    assert violations(tenant, Operation.PROFILE_UPDATE, sub="x", custom_tenant_id="t") == {
        ("RESERVED_ATTRIBUTE", "sub"),
        ("RESERVED_ATTRIBUTE", "custom:tenant_id"),
    }


def test_an_administrator_sets_an_unset_write_once_attribute_once(tmp_path: Path) -> None:
    tenant = policy(tmp_path)
    assert violations(tenant, Operation.ADMIN_UPDATE, custom_badge="gold", custom_level="two") == set()
    assert violations(tenant, Operation.ADMIN_UPDATE, frozenset({"custom:badge"}), custom_badge="silver") == {
        ("IMMUTABLE_ATTRIBUTE", "custom:badge")
    }
    assert violations(tenant, Operation.ADMIN_UPDATE, custom_level="three") == {("VALUE_NOT_ALLOWED", "custom:level")}


def test_on_email_username_tenants_the_address_never_changes(tmp_path: Path) -> None:
    text = PROFILE.replace("username: {kind: username}", "username: {kind: email}")
    tenant = policy(tmp_path, text)
    for op in (Operation.PROFILE_UPDATE, Operation.ADMIN_UPDATE):
        decision = evaluate(tenant, PolicyRequest(op, "me@profile.example", (("email", "new@profile.example"),)))
        (violation,) = decision.violations
        assert (violation.code.value, violation.attribute) == ("ATTRIBUTE_NOT_WRITABLE", "email")
        assert "username" in violation.message


@pytest.mark.parametrize(
    ("op", "field"), [(PasswordOperation.RESET, "newPassword"), (PasswordOperation.CHANGE, "proposedPassword")]
)
def test_a_password_alone_is_decided_on_the_password_rules(tmp_path: Path, op: PasswordOperation, field: str) -> None:
    tenant = policy(tmp_path)
    decision = evaluate(tenant, PolicyRequest(op, "someone", password="short"))
    assert {(v.code.value, v.field) for v in decision.violations} == {
        ("PASSWORD_TOO_SHORT", field),
        ("PASSWORD_NEEDS_DIGIT", field),
    }
    assert decision.operation == op.value
    assert evaluate(tenant, PolicyRequest(op, "someone", password="")).violations  # empty is not "no password"
    assert evaluate(tenant, PolicyRequest(op, "someone", password="long enough 1")).allowed


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{mutable: false, writable_by: [invite, profile_update]}", "cannot be written by profile_update"),
        ("{required: [profile_update]}", "nothing can be required there"),
        ("{required: [admin_update]}", "nothing can be required there"),
    ],
)
def test_update_rules_that_cannot_hold_are_load_errors(tmp_path: Path, rule: str, message: str) -> None:
    text = PROFILE.replace("  nickname: {}", f"  nickname: {rule}")
    with pytest.raises(PolicyLoadError) as refused:
        policy(tmp_path, text)
    assert any(message in e.message and e.key.startswith("attributes.nickname") for e in refused.value.errors)


def test_an_attribute_the_tenant_requires_cannot_be_blanked(tmp_path: Path) -> None:
    tenant = policy(tmp_path)  # Cognito deletes an attribute sent empty
    for op in (Operation.PROFILE_UPDATE, Operation.ADMIN_UPDATE):
        assert violations(tenant, op, name="   ") == {("REQUIRED_ATTRIBUTE_MISSING", "name")}
    assert violations(tenant, Operation.PROFILE_UPDATE, nickname="") == set()  # optional: may be cleared
