"""The pure decision engine: one test per violation code, plus the rules that combine them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from api.policy import Decision, Operation, TenantPolicy, Violation, ViolationCode, evaluate, load_policy
from api.policy import normalize_username as normalize
from api.policy.engine import PolicyRequest

POLICIES = Path(__file__).resolve().parents[2] / "policies"

# A self-service tenant with a rule of every kind.
LAB = """\
version: 1
display_name: Lab
cognito:
  user_pool: lab
registration:
  self_signup: true
username:
  kind: username
password:
  min_length: 10
  require: [lowercase, uppercase, digits, symbols]
attributes:
  email:
    required: [sign_up]
    format: email
  name:
    required: [first_sign_in]
    min_length: 2
    max_length: 20
  phone_number:
    format: phone_number
  custom:code:
    pattern: '^[A-Z]{3}$'
  custom:plan:
    mutable: false
    writable_by: [invite, sign_up]
    enum: [free, pro]
  custom:badge:
    writable_by: [invite]
email_domains:
  allow: [lab.example, "*.partner.example"]
"""

# E-mail usernames, case-sensitive local parts, an allow list.
MAIL = """\
version: 1
display_name: Mail
cognito: {user_pool: mail}
registration: {self_signup: true}
username: {kind: email, case_sensitive: true}
attributes:
  email:
    required: [invite, sign_up]
    format: email
  name: {}
email_domains:
  allow: [mail.example, "*.corp.example"]
"""

# E-mail usernames and a deny list.
OPEN = """\
version: 1
display_name: Open
cognito: {user_pool: open}
registration: {self_signup: true}
username: {kind: email}
email_domains:
  deny: [spam.example, "*.spam.example"]
"""

# Case-sensitive plain usernames.
CASED = """\
version: 1
display_name: Cased
cognito: {user_pool: cased}
registration: {self_signup: true}
username: {kind: username, case_sensitive: true}
"""


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TenantPolicy]:
    directory = tmp_path_factory.mktemp("policies")
    loaded = {}
    for name, text in {"lab": LAB, "mail": MAIL, "open": OPEN, "cased": CASED}.items():
        path = directory / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        loaded[name] = load_policy(path)
    for name in ("acme", "shop"):
        loaded[name] = load_policy(POLICIES / f"{name}.yaml")
    return loaded


STRONG = "Str0ng!Pass"
LAB_EMAIL = ("email", "alice@lab.example")


def sign_up(username: str = "alice", *attributes: tuple[str, str], password: str | None = STRONG) -> PolicyRequest:
    return PolicyRequest(Operation.SIGN_UP, username, attributes or (LAB_EMAIL,), password=password)


EMAIL_TENANT_PASSWORD = "abcdefgh12"


def email_sign_up(username: str, *attributes: tuple[str, str], password: str = EMAIL_TENANT_PASSWORD) -> PolicyRequest:
    """A sign-up for the e-mail-username tenants (shop, mail, open), whose passwords need 8 to 10 characters."""
    return PolicyRequest(Operation.SIGN_UP, username, attributes, password=password)


def first_sign_in(
    *attributes: tuple[str, str],
    existing: frozenset[str] = frozenset({"email"}),
    pool_required: frozenset[str] = frozenset(),
    password: str | None = STRONG,
) -> PolicyRequest:
    return PolicyRequest(
        Operation.FIRST_SIGN_IN,
        "alice",
        attributes or (("name", "Alice"),),
        password=password,
        existing_attributes=existing,
        pool_required=pool_required,
    )


def codes(decision: Decision) -> list[ViolationCode]:
    return [v.code for v in decision.violations]


def only(decision: Decision) -> Violation:
    assert len(decision.violations) == 1, decision.violations
    return decision.violations[0]


# ------------------------------------------------------------------ one test per violation code


@dataclass(frozen=True)
class Case:
    code: ViolationCode
    tenant: str
    request: PolicyRequest
    field: str
    attribute: str | None


CASES = [
    Case(
        ViolationCode.SELF_SIGNUP_DISABLED,
        "acme",
        sign_up("bob", ("email", "bob@acme.example"), password="Str0ng!Password"),
        "tenant",
        None,
    ),
    Case(ViolationCode.USERNAME_INVALID, "lab", sign_up("al ice"), "username", None),
    Case(
        ViolationCode.EMAIL_MISMATCH,
        "shop",
        email_sign_up("alice@shop.example", ("email", "bob@shop.example"), ("name", "Alice")),
        "attributes",
        "email",
    ),
    Case(ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "lab", sign_up("alice", ("name", "Alice")), "attributes", "email"),
    Case(
        ViolationCode.UNKNOWN_ATTRIBUTE,
        "lab",
        sign_up("alice", LAB_EMAIL, ("custom:nope", "x")),
        "attributes",
        "custom:nope",
    ),
    Case(
        ViolationCode.RESERVED_ATTRIBUTE,
        "lab",
        sign_up("alice", LAB_EMAIL, ("email_verified", "true")),
        "attributes",
        "email_verified",
    ),
    Case(ViolationCode.DUPLICATE_ATTRIBUTE, "lab", sign_up("alice", LAB_EMAIL, LAB_EMAIL), "attributes", "email"),
    Case(
        ViolationCode.ATTRIBUTE_NOT_WRITABLE,
        "lab",
        sign_up("alice", LAB_EMAIL, ("custom:badge", "gold")),
        "attributes",
        "custom:badge",
    ),
    Case(
        ViolationCode.IMMUTABLE_ATTRIBUTE,
        "lab",
        first_sign_in(("name", "Alice"), ("custom:plan", "pro")),
        "attributes",
        "custom:plan",
    ),
    Case(
        ViolationCode.ATTRIBUTE_ALREADY_SET,
        "lab",
        first_sign_in(("name", "Alice"), ("email", "alice@lab.example")),
        "attributes",
        "email",
    ),
    Case(
        ViolationCode.INVALID_FORMAT,
        "lab",
        sign_up("alice", LAB_EMAIL, ("phone_number", "0155 5501")),
        "attributes",
        "phone_number",
    ),
    Case(
        ViolationCode.PATTERN_MISMATCH,
        "lab",
        sign_up("alice", LAB_EMAIL, ("custom:code", "abc")),
        "attributes",
        "custom:code",
    ),
    Case(
        ViolationCode.VALUE_NOT_ALLOWED,
        "lab",
        sign_up("alice", LAB_EMAIL, ("custom:plan", "gold")),
        "attributes",
        "custom:plan",
    ),
    Case(ViolationCode.TOO_LONG, "lab", sign_up("alice", LAB_EMAIL, ("name", "A" * 21)), "attributes", "name"),
    Case(ViolationCode.TOO_SHORT, "lab", sign_up("alice", LAB_EMAIL, ("name", "A")), "attributes", "name"),
    Case(ViolationCode.INVALID_CHARACTER, "lab", sign_up("alice", LAB_EMAIL, ("name", "A\x1bi")), "attributes", "name"),
    Case(
        ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED,
        "lab",
        sign_up("alice", ("email", "alice@other.example")),
        "attributes",
        "email",
    ),
    Case(ViolationCode.PASSWORD_TOO_SHORT, "lab", sign_up(password="Sh0rt!Pwd"), "password", None),
    Case(ViolationCode.PASSWORD_TOO_LONG, "lab", sign_up(password="Aa1!" + "x" * 253), "password", None),
    Case(ViolationCode.PASSWORD_NEEDS_LOWERCASE, "lab", sign_up(password="STR0NG!PASS"), "password", None),
    Case(ViolationCode.PASSWORD_NEEDS_UPPERCASE, "lab", sign_up(password="str0ng!pass"), "password", None),
    Case(ViolationCode.PASSWORD_NEEDS_DIGIT, "lab", sign_up(password="Strong!Pass"), "password", None),
    Case(ViolationCode.PASSWORD_NEEDS_SYMBOL, "lab", sign_up(password="Str0ngPass1"), "password", None),
    Case(ViolationCode.PASSWORD_INVALID_CHARACTER, "lab", sign_up(password=" Str0ng!Pass"), "password", None),
]


def test_every_violation_code_has_a_case() -> None:
    assert {case.code for case in CASES} == set(ViolationCode)


@pytest.mark.parametrize("case", CASES, ids=[case.code.value for case in CASES])
def test_violation_code(tenants: dict[str, TenantPolicy], case: Case) -> None:
    decision = evaluate(tenants[case.tenant], case.request)
    assert not decision.allowed
    violation = only(decision)
    assert violation.code is case.code
    assert violation.field == case.field
    assert violation.attribute == case.attribute
    assert violation.message


@pytest.mark.parametrize(
    ("tenant", "request_"),
    [
        ("lab", sign_up()),
        ("lab", sign_up("alice", LAB_EMAIL, ("name", "Alice"), ("custom:plan", "pro"), ("custom:code", "ABC"))),
        ("lab", first_sign_in()),
        ("shop", email_sign_up("alice@shop.example", ("name", "Alice"))),
        (
            "acme",
            PolicyRequest(Operation.INVITE, "bob", (("email", "bob@acme.example"), ("custom:employee_id", "E123456"))),
        ),
    ],
    ids=["lab-sign-up", "lab-sign-up-all-attributes", "lab-first-sign-in", "shop-sign-up", "acme-invite"],
)
def test_valid_requests_are_allowed(tenants: dict[str, TenantPolicy], tenant: str, request_: PolicyRequest) -> None:
    decision = evaluate(tenants[tenant], request_)
    assert decision.violations == ()
    assert decision.allowed
    assert not decision.self_signup_disabled


def test_password_field_is_new_password_at_first_sign_in(tenants: dict[str, TenantPolicy]) -> None:
    violation = only(evaluate(tenants["lab"], first_sign_in(password="Sh0rt!Pwd")))
    assert violation.code is ViolationCode.PASSWORD_TOO_SHORT
    assert violation.field == "newPassword"


def test_no_password_is_not_checked(tenants: dict[str, TenantPolicy]) -> None:
    # An invitation carries no password: Cognito generates the temporary one.
    assert evaluate(tenants["lab"], sign_up(password=None)).allowed


def test_every_missing_password_rule_is_reported(tenants: dict[str, TenantPolicy]) -> None:
    decision = evaluate(tenants["lab"], sign_up(password="abc"))
    assert set(codes(decision)) == {
        ViolationCode.PASSWORD_TOO_SHORT,
        ViolationCode.PASSWORD_NEEDS_UPPERCASE,
        ViolationCode.PASSWORD_NEEDS_DIGIT,
        ViolationCode.PASSWORD_NEEDS_SYMBOL,
    }


# ------------------------------------------------------------------ the decision as a whole


def test_several_violations_in_one_decision(tenants: dict[str, TenantPolicy]) -> None:
    request = PolicyRequest(
        Operation.SIGN_UP,
        "bad name",
        (("email", "bob@evil.example"), ("custom:nope", "x"), ("email_verified", "true")),
        password="weak",
    )
    decision = evaluate(tenants["acme"], request)
    assert not decision.allowed
    assert decision.self_signup_disabled
    assert set(codes(decision)) == {
        ViolationCode.SELF_SIGNUP_DISABLED,
        ViolationCode.USERNAME_INVALID,
        ViolationCode.UNKNOWN_ATTRIBUTE,
        ViolationCode.RESERVED_ATTRIBUTE,
        ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED,
        ViolationCode.PASSWORD_TOO_SHORT,
        ViolationCode.PASSWORD_NEEDS_UPPERCASE,
        ViolationCode.PASSWORD_NEEDS_DIGIT,
        ViolationCode.PASSWORD_NEEDS_SYMBOL,
    }


def test_several_attribute_violations_name_their_attributes(tenants: dict[str, TenantPolicy]) -> None:
    request = sign_up("alice", ("name", "A"), ("custom:code", "abc"), ("custom:plan", "gold"))
    decision = evaluate(tenants["lab"], request)
    assert {(v.code, v.attribute) for v in decision.violations} == {
        (ViolationCode.TOO_SHORT, "name"),
        (ViolationCode.PATTERN_MISMATCH, "custom:code"),
        (ViolationCode.VALUE_NOT_ALLOWED, "custom:plan"),
        (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "email"),
    }


def test_decision_carries_tenant_operation_and_revision(tenants: dict[str, TenantPolicy], tmp_path: Path) -> None:
    decision = evaluate(tenants["lab"], sign_up())
    assert decision.tenant == "lab"
    assert decision.operation == "sign_up"
    assert decision.revision == tenants["lab"].revision
    assert evaluate(tenants["shop"], sign_up()).tenant == "shop"

    path = tmp_path / "lab.yaml"
    path.write_text(LAB + "# edited\n", encoding="utf-8")
    edited = load_policy(path)
    assert evaluate(edited, sign_up()).revision == edited.revision != tenants["lab"].revision


def test_same_request_same_decision(tenants: dict[str, TenantPolicy]) -> None:
    request = sign_up("al ice", ("name", "A"), password="weak")
    assert evaluate(tenants["lab"], request) == evaluate(tenants["lab"], request)


# ------------------------------------------------------------------ usernames


@pytest.mark.parametrize(
    ("tenant", "raw", "expected"),
    [
        ("acme", "Alice", "alice"),  # case-insensitive: lowercased
        ("acme", "  ALICE\t", "alice"),  # and trimmed
        ("acme", "\uff21\uff4c\uff49\uff43\uff45", "alice"),  # full-width letters fold to ASCII (NFKC)
        ("acme", "\ufb01ona", "fiona"),  # the fi ligature is two letters
        ("cased", "Alice", "Alice"),  # case-sensitive: kept
        ("cased", "\uff21lice", "Alice"),  # NFKC applies whatever the case rule
        ("shop", "Alice@Shop.EXAMPLE", "alice@shop.example"),
        ("mail", "Alice@Shop.EXAMPLE", "Alice@shop.example"),  # case-sensitive: only the domain is lowered
        ("mail", "Al@ice@Shop.EXAMPLE", "Al@ice@shop.example"),  # the domain is what follows the last @
    ],
)
def test_normalize_username(tenants: dict[str, TenantPolicy], tenant: str, raw: str, expected: str) -> None:
    assert normalize(tenants[tenant].policy, raw) == expected


def test_normalize_username_is_idempotent(tenants: dict[str, TenantPolicy]) -> None:
    for tenant in ("acme", "cased", "shop", "mail"):
        policy = tenants[tenant].policy
        once = normalize(policy, " \uff21lice@Example.COM ")
        assert normalize(policy, once) == once


@pytest.mark.parametrize("username", ["", "a b", "tab\there", "x" * 129])
def test_invalid_plain_usernames(tenants: dict[str, TenantPolicy], username: str) -> None:
    violation = only(evaluate(tenants["lab"], sign_up(username)))
    assert violation.code is ViolationCode.USERNAME_INVALID
    assert violation.field == "username"


def test_longest_plain_username(tenants: dict[str, TenantPolicy]) -> None:
    assert evaluate(tenants["lab"], sign_up("x" * 128)).allowed


# ------------------------------------------------------------------ e-mail usernames


@pytest.mark.parametrize("username", ["alice", "alice@", "@shop.example", "alice@shop", "al ice@shop.example"])
def test_email_username_must_be_an_address(tenants: dict[str, TenantPolicy], username: str) -> None:
    decision = evaluate(tenants["shop"], email_sign_up(username, ("name", "Alice")))
    violation = only(decision)
    assert violation.code is ViolationCode.USERNAME_INVALID
    assert violation.field == "username"


def test_email_username_satisfies_a_required_email(tenants: dict[str, TenantPolicy]) -> None:
    # shop requires `email` at sign_up; the username is the address.
    assert "sign_up" in tenants["shop"].policy.attributes["email"].required
    decision = evaluate(tenants["shop"], email_sign_up("alice@shop.example", ("name", "Alice")))
    assert decision.allowed


@pytest.mark.parametrize(
    ("tenant", "username", "email", "mismatch"),
    [
        ("shop", "alice@shop.example", "alice@shop.example", False),
        ("shop", "alice@shop.example", "ALICE@Shop.Example", False),  # the same account once normalised
        ("shop", "alice@shop.example", "alice@other.example", True),
        ("mail", "Alice@mail.example", "Alice@MAIL.example", False),  # domains are never case-sensitive
        ("mail", "Alice@mail.example", "alice@mail.example", True),  # the local part is, here
    ],
)
def test_email_attribute_must_equal_the_username(
    tenants: dict[str, TenantPolicy], tenant: str, username: str, email: str, mismatch: bool
) -> None:
    decision = evaluate(tenants[tenant], email_sign_up(username, ("email", email), ("name", "Alice")))
    assert codes(decision) == ([ViolationCode.EMAIL_MISMATCH] if mismatch else [])


@pytest.mark.parametrize(
    ("tenant", "address", "allowed"),
    [
        ("mail", "a@mail.example", True),
        ("mail", "a@MAIL.Example", True),
        ("mail", "a@eu.corp.example", True),  # *.corp.example: any subdomain
        ("mail", "a@a.b.corp.example", True),
        ("mail", "a@other.example", False),
        ("mail", "a@evilcorp.example", False),  # a suffix is not a subdomain
        ("mail", "a@mail.example.evil", False),
        ("mail", "a@submail.example", False),  # no wildcard: the exact domain only
        ("open", "a@anything.example", True),
        ("open", "a@spam.example", False),
        ("open", "a@SPAM.example", False),
        ("open", "a@mx.spam.example", False),
        ("open", "a@notspam.example", True),
    ],
)
def test_email_domains(tenants: dict[str, TenantPolicy], tenant: str, address: str, allowed: bool) -> None:
    username = normalize(tenants[tenant].policy, address)
    decision = evaluate(tenants[tenant], email_sign_up(username))
    if allowed:
        assert decision.allowed, decision.violations
    else:
        violation = only(decision)
        assert violation.code is ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED
        assert violation.field == "username"  # the address is the username here
        assert violation.attribute == "email"


def test_domain_of_an_email_attribute(tenants: dict[str, TenantPolicy]) -> None:
    assert evaluate(tenants["lab"], sign_up("alice", ("email", "alice@eu.partner.example"))).allowed
    assert codes(evaluate(tenants["lab"], sign_up("alice", ("email", "alice@partner.example.com")))) == [
        ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED
    ]


def test_acme_invite_outside_its_domain(tenants: dict[str, TenantPolicy]) -> None:
    request = PolicyRequest(
        Operation.INVITE, "bob", (("email", "bob@gmail.example"), ("custom:employee_id", "E123456"))
    )
    violation = only(evaluate(tenants["acme"], request))
    assert violation.code is ViolationCode.EMAIL_DOMAIN_NOT_ALLOWED
    assert violation.field == "attributes"


# ------------------------------------------------------------------ invitations and first sign-in


def test_acme_invite_needs_the_employee_id(tenants: dict[str, TenantPolicy]) -> None:
    request = PolicyRequest(Operation.INVITE, "bob", (("email", "bob@acme.example"),))
    violation = only(evaluate(tenants["acme"], request))
    assert (violation.code, violation.attribute) == (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "custom:employee_id")


def test_an_empty_value_does_not_satisfy_required(tenants: dict[str, TenantPolicy]) -> None:
    decision = evaluate(tenants["lab"], sign_up("alice", ("email", "")))
    assert (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "email") in {(v.code, v.attribute) for v in decision.violations}


def test_first_sign_in_attribute_already_set(tenants: dict[str, TenantPolicy]) -> None:
    request = first_sign_in(("name", "Alice"), ("phone_number", "+14155550100"), existing=frozenset({"phone_number"}))
    violation = only(evaluate(tenants["lab"], request))
    assert (violation.code, violation.attribute) == (ViolationCode.ATTRIBUTE_ALREADY_SET, "phone_number")


def test_first_sign_in_may_set_a_new_attribute(tenants: dict[str, TenantPolicy]) -> None:
    request = first_sign_in(("name", "Alice"), ("phone_number", "+14155550100"))
    assert evaluate(tenants["lab"], request).allowed


def test_first_sign_in_write_once_attribute_is_immutable_even_when_unset(tenants: dict[str, TenantPolicy]) -> None:
    request = first_sign_in(("name", "Alice"), ("custom:plan", "free"), existing=frozenset())
    violation = only(evaluate(tenants["lab"], request))
    assert (violation.code, violation.attribute) == (ViolationCode.IMMUTABLE_ATTRIBUTE, "custom:plan")


def test_acme_employee_id_is_write_once(tenants: dict[str, TenantPolicy]) -> None:
    request = PolicyRequest(
        Operation.FIRST_SIGN_IN,
        "bob",
        (("name", "Bob"), ("custom:employee_id", "E654321")),
        password="N3w!Password",
        existing_attributes=frozenset({"email", "custom:employee_id"}),
    )
    violation = only(evaluate(tenants["acme"], request))
    assert (violation.code, violation.attribute) == (ViolationCode.IMMUTABLE_ATTRIBUTE, "custom:employee_id")


def test_required_attribute_satisfied_by_existing_attributes(tenants: dict[str, TenantPolicy]) -> None:
    # name is required at first_sign_in; the user has one already.
    request = PolicyRequest(
        Operation.FIRST_SIGN_IN, "alice", (), password=STRONG, existing_attributes=frozenset({"email", "name"})
    )
    assert evaluate(tenants["lab"], request).allowed
    without = PolicyRequest(Operation.FIRST_SIGN_IN, "alice", (), password=STRONG, existing_attributes=frozenset())
    violation = only(evaluate(tenants["lab"], without))
    assert (violation.code, violation.attribute) == (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "name")


def test_pool_required_attribute_is_reported_missing(tenants: dict[str, TenantPolicy]) -> None:
    request = first_sign_in(pool_required=frozenset({"phone_number"}))
    violation = only(evaluate(tenants["lab"], request))
    assert violation.code is ViolationCode.REQUIRED_ATTRIBUTE_MISSING
    assert violation.field == "attributes"
    assert violation.attribute == "phone_number"


def test_pool_required_attribute_satisfied_when_sent_or_existing(tenants: dict[str, TenantPolicy]) -> None:
    sent = first_sign_in(("name", "Alice"), ("phone_number", "+14155550100"), pool_required=frozenset({"phone_number"}))
    assert evaluate(tenants["lab"], sent).allowed
    existing = first_sign_in(existing=frozenset({"email", "phone_number"}), pool_required=frozenset({"phone_number"}))
    assert evaluate(tenants["lab"], existing).allowed


def test_pool_required_and_policy_required_are_reported_once_each(tenants: dict[str, TenantPolicy]) -> None:
    request = PolicyRequest(
        Operation.FIRST_SIGN_IN,
        "alice",
        (),
        password=STRONG,
        existing_attributes=frozenset({"email"}),
        pool_required=frozenset({"name", "phone_number"}),
    )
    decision = evaluate(tenants["lab"], request)
    assert sorted((v.code, v.attribute) for v in decision.violations) == [
        (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "name"),
        (ViolationCode.REQUIRED_ATTRIBUTE_MISSING, "phone_number"),
    ]


def test_first_sign_in_does_not_recheck_the_username(tenants: dict[str, TenantPolicy]) -> None:
    # The user exists already; an e-mail tenant's username was checked when it was created.
    request = PolicyRequest(Operation.FIRST_SIGN_IN, "alice@shop.example", (), password=EMAIL_TENANT_PASSWORD)
    assert evaluate(tenants["shop"], request).allowed


# ------------------------------------------------------------------ usernames Cognito would refuse

CORP = """\
version: 1
display_name: Corp
cognito: {user_pool: corp}
registration: {self_signup: true}
username: {kind: email}
attributes:
  email:
    required: [sign_up]
    pattern: '^[^@]+@corp\\.example$'
    max_length: 30
"""


def test_email_username_obeys_the_email_attribute_rules(tmp_path: Path) -> None:
    # With kind: email the username is written as the `email` attribute, so leaving `email` out of the
    # request must not skip that attribute's pattern and length.
    path = tmp_path / "corp.yaml"
    path.write_text(CORP, encoding="utf-8")
    corp = load_policy(path)
    assert evaluate(corp, email_sign_up("bob@corp.example")).allowed
    decision = evaluate(corp, email_sign_up("someone.with.a.long.name@evil.example"))
    assert set(codes(decision)) == {ViolationCode.PATTERN_MISMATCH, ViolationCode.TOO_LONG}
    assert {v.field for v in decision.violations} == {"username"}


def test_email_username_longer_than_cognito_accepts(tenants: dict[str, TenantPolicy]) -> None:
    # A valid address of 139 characters; Cognito's Username takes at most 128.
    username = "a" * 60 + "@" + "b" * 70 + ".example"
    decision = evaluate(tenants["shop"], email_sign_up(username, ("name", "Alice")))
    assert codes(decision) == [ViolationCode.USERNAME_INVALID]


@pytest.mark.parametrize("tenant", ["lab", "shop"])
@pytest.mark.parametrize(
    "invisible", ["\u200b", "\x00", "\u202e", "\u00a0"], ids=["zero-width", "nul", "bidi-override", "nbsp"]
)
def test_invisible_characters_in_username(tenants: dict[str, TenantPolicy], tenant: str, invisible: str) -> None:
    # Cognito's Username pattern is [\p{L}\p{M}\p{S}\p{N}\p{P}]+: no controls, format characters or spaces.
    policy = tenants[tenant].policy
    username = normalize(policy, f"ali{invisible}ce@shop.example")
    decision = evaluate(tenants[tenant], email_sign_up(username, ("email", "alice@lab.example"), ("name", "Alice")))
    assert ViolationCode.USERNAME_INVALID in codes(decision)


NICK = """\
version: 1
display_name: Nick
cognito: {user_pool: nick}
registration: {self_signup: true}
attributes:
  nickname: {}
"""


def test_attribute_value_longer_than_cognito_accepts(tmp_path: Path) -> None:
    path = tmp_path / "nick.yaml"
    path.write_text(NICK, encoding="utf-8")
    nick = load_policy(path)
    assert evaluate(nick, email_sign_up("bob", ("nickname", "x" * 2048))).allowed
    violation = only(evaluate(nick, email_sign_up("bob", ("nickname", "x" * 2049))))
    assert (violation.code, violation.attribute) == (ViolationCode.TOO_LONG, "nickname")
