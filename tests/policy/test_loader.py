"""The YAML loader: the demo files load, and every broken file is refused with file, line, key and fix."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
import yaml

from api.policy import PolicyError, PolicyLoadError, TenantPolicy, load_directory, load_policy
from api.policy.loader import load_each
from api.policy.yaml_reading import NotPlainError, SafeLoader, read_plain

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
ACME = (POLICIES / "acme.yaml").read_text(encoding="utf-8")
SHOP = (POLICIES / "shop.yaml").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence, so a changed demo file breaks the test instead of weakening it."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the demo file"
    return text.replace(old, new)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) >= occurrence, f"{needle!r} is not in the text {occurrence} time(s)"
    return found[occurrence - 1]


def write(directory: Path, text: str, name: str = "acme.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_errors(path: Path) -> list[PolicyError]:
    with pytest.raises(PolicyLoadError) as caught:
        load_policy(path)
    errors = caught.value.errors
    assert errors, "a PolicyLoadError must carry at least one error"
    return errors


def only_error(path: Path) -> PolicyError:
    errors = load_errors(path)
    assert len(errors) == 1, "\n".join(str(e) for e in errors)
    error = errors[0]
    assert error.file == path
    assert error.fix.strip(), f"no fix given for {error}"
    return error


# ------------------------------------------------------------------ the demo files


def test_acme_demo_file_loads() -> None:
    loaded = load_policy(POLICIES / "acme.yaml")
    assert isinstance(loaded, TenantPolicy)
    assert loaded.tenant == "acme"
    assert loaded.path == POLICIES / "acme.yaml"
    assert re.fullmatch(r"[0-9a-f]{16}", loaded.revision)
    policy = loaded.policy
    assert policy.display_name == "ACME Corp"
    assert policy.cognito.user_pool == "acme"
    assert policy.registration.self_signup is False
    assert policy.username.kind == "username"
    assert policy.password.min_length == 12
    assert set(policy.attributes) == {"email", "name", "custom:employee_id"}
    assert policy.attributes["custom:employee_id"].mutable is False
    assert policy.email_domains is not None
    assert policy.email_domains.allow == ["acme.example"]


def test_shop_demo_file_loads() -> None:
    loaded = load_policy(POLICIES / "shop.yaml")
    assert loaded.tenant == "shop"
    policy = loaded.policy
    assert policy.registration.self_signup is True
    assert policy.username.kind == "email"
    assert policy.attributes["custom:plan"].enum == ["free", "pro"]
    assert policy.email_domains is None


def test_load_directory_of_demo_files() -> None:
    tenants = load_directory(POLICIES)
    assert set(tenants) >= {"acme", "shop"}
    assert tenants["acme"].policy.display_name == "ACME Corp"
    assert tenants["shop"].policy.display_name == "Example Shop"


# ------------------------------------------------------------------ keys, types, syntax


def test_unknown_key_names_line_key_and_suggests_the_right_one(tmp_path: Path) -> None:
    text = edit(ACME, "  self_signup: false", "  self_sigup: false")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "self_sigup:")
    assert error.key == "registration.self_sigup"
    assert error.message == "unknown key"
    assert "did you mean 'self_signup'?" in error.fix
    assert "approval_required" in error.fix  # the keys allowed there are listed


def test_unknown_key_inside_an_attribute_rule(tmp_path: Path) -> None:
    text = edit(ACME, "    max_length: 100", "    max_lenght: 100")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "max_lenght:")
    assert error.key == "attributes.name.max_lenght"
    assert "did you mean 'max_length'?" in error.fix


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = ACME + "emial_domains:\n  deny: [x.example]\n"
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "emial_domains:")
    assert error.key == "emial_domains"
    assert "did you mean 'email_domains'?" in error.fix


def test_wrong_type_is_not_coerced(tmp_path: Path) -> None:
    text = edit(ACME, "  self_signup: false", '  self_signup: "maybe"')
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "self_signup:")
    assert error.key == "registration.self_signup"
    assert "boolean" in error.message
    assert "true or false" in error.fix


def test_quoted_number_is_a_wrong_type(tmp_path: Path) -> None:
    text = edit(ACME, "  min_length: 12", '  min_length: "12"')
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "  min_length:")
    assert error.key == "password.min_length"
    assert "whole number" in error.fix


def test_value_outside_the_accepted_list_names_the_accepted_values(tmp_path: Path) -> None:
    text = edit(ACME, "[lowercase, uppercase, digits, symbols]", "[lowercase, upper]")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "require:")
    assert error.key == "password.require[1]"
    assert "'uppercase'" in error.fix


def test_missing_required_key(tmp_path: Path) -> None:
    text = edit(ACME, "display_name: ACME Corp\n", "")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == "display_name"
    assert error.line == 1
    assert "required" in error.message
    assert error.fix == "add the key"


def test_missing_nested_key_points_at_its_section(tmp_path: Path) -> None:
    text = edit(ACME, "cognito:\n  user_pool: acme\n", "cognito:\n  user_pool_id: eu-west-1_abc\n")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == "cognito.user_pool"
    assert error.line == line_of(text, "cognito:")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = edit(ACME, "  min_length: 12", "  min_length: [12")
    path = write(tmp_path, text)
    error = only_error(path)
    broken = line_of(text, "min_length: [12")
    # The parser notices the unclosed list where the next line starts; either line leads the operator there.
    assert error.line in {broken, broken + 1}
    assert error.message.startswith("YAML syntax:")
    assert "YAML" in error.fix


def test_yaml_tab_indentation_names_the_line(tmp_path: Path) -> None:
    text = edit(ACME, "  min_length: 12", "\tmin_length: 12")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.line == line_of(text, "\tmin_length")
    assert error.message == "a tab character (column 1): YAML does not allow tabs for indentation"
    assert error.fix == "indent with spaces"


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = edit(ACME, "  min_length: 12\n", "  min_length: 12\n  min_length: 14\n")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == "password.min_length"
    assert error.line == line_of(text, "min_length: 14")
    assert "twice" in error.message
    assert "keep one" in error.fix


def test_invalid_regex_pattern(tmp_path: Path) -> None:
    text = edit(ACME, "'^E[0-9]{6}$'", "'^E[0-9{6}$'")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == "attributes.custom:employee_id.pattern"
    assert error.line == line_of(text, "pattern:")
    assert "regular expression" in error.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_bytes(ACME.replace("ACME Corp", "ACME K\xf6ln").encode("latin-1"))
    error = only_error(path)
    assert "UTF-8" in error.message


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"])
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    error = only_error(write(tmp_path, text))
    assert error.line == 1
    assert "mapping" in error.message


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = edit(ACME, "  self_signup: false", '  self_signup: "maybe"')
    text = edit(text, "  kind: username", "  kind: emial")
    text = edit(text, "    max_length: 100", "    max_lenght: 100")
    path = write(tmp_path, text)
    errors = load_errors(path)
    assert {e.key for e in errors} == {"registration.self_signup", "username.kind", "attributes.name.max_lenght"}
    assert {e.key: e.line for e in errors} == {
        "registration.self_signup": line_of(text, "self_signup:"),
        "username.kind": line_of(text, "kind: emial"),
        "attributes.name.max_lenght": line_of(text, "max_lenght"),
    }


def test_error_text_has_path_line_key_and_fix(tmp_path: Path) -> None:
    text = edit(ACME, "  self_signup: false", "  self_sigup: false")
    path = write(tmp_path, text)
    with pytest.raises(PolicyLoadError) as caught:
        load_policy(path)
    line = line_of(text, "self_sigup")
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: registration.self_sigup: unknown key\n")
    assert "    fix: did you mean 'self_signup'?" in message


# ------------------------------------------------------------------ rules that cannot hold together


CONTRADICTIONS = {
    "required where not writable": (
        ACME,
        "    writable_by: [invite]               # set by HR only\n    required: [invite]\n",
        "    writable_by: [invite]\n    required: [invite, sign_up]\n",
        "attributes.custom:employee_id.required",
        "required: [invite, sign_up]",
        "add sign_up to writable_by",
    ),
    "write-once written at first sign-in": (
        ACME,
        "    writable_by: [invite]               # set by HR only\n",
        "    writable_by: [invite, first_sign_in]\n",
        "attributes.custom:employee_id.writable_by",
        "writable_by: [invite, first_sign_in]",
        "remove first_sign_in from writable_by",
    ),
    "write-once required at first sign-in": (
        ACME,
        "    writable_by: [invite]               # set by HR only\n    required: [invite]\n",
        "    required: [first_sign_in]\n",
        "attributes.custom:employee_id.required",
        "required: [first_sign_in]",
        "require it at invite instead",
    ),
    "enum value that fails the pattern": (
        SHOP,
        "    enum: [free, pro]\n",
        "    enum: [free, pro]\n    pattern: '^[a-z]{4}$'\n",
        "attributes.custom:plan.enum",
        "enum: [free, pro]",
        "change the value",
    ),
    "allow and deny together": (
        ACME,
        "  allow: [acme.example]\n",
        "  allow: [acme.example]\n  deny: [evil.example]\n",
        "email_domains",
        "email_domains:",
        "either allow or deny",
    ),
    "approval without self sign-up": (
        ACME,
        "  self_signup: false                    # admin-invite only\n",
        "  self_signup: false\n  approval_required: true\n",
        "registration.approval_required",
        "approval_required: true",
        "remove approval_required",
    ),
    "neither standard nor custom attribute": (
        ACME,
        "  name:\n",
        "  department:\n",
        "attributes.department",
        "  department:",
        "custom:",
    ),
    "custom attribute name too long": (
        ACME,
        "  custom:employee_id:\n",
        "  custom:employee_identifier_code:\n",
        "attributes.custom:employee_identifier_code",
        "custom:employee_identifier_code:",
        "custom:",
    ),
    "reserved attribute": (
        ACME,
        "  name:\n",
        "  email_verified:\n",
        "attributes.email_verified",
        "email_verified:",
        "remove email_verified",
    ),
    "min_length above max_length": (
        ACME,
        "    max_length: 100\n",
        "    max_length: 100\n    min_length: 200\n",
        "attributes.name.min_length",
        "min_length: 200",
        "lower min_length",
    ),
    "duplicate api key": (
        ACME,
        "      sha256: 844c7d40373349bed168bb1d0e4c77b1c3459272ac082f8a0c4ef9bd1f0f4bed\n",
        "      sha256: 844c7d40373349bed168bb1d0e4c77b1c3459272ac082f8a0c4ef9bd1f0f4bed\n"
        "    - name: hr-system\n"
        "      sha256: " + "ab" * 32 + "\n",
        "admins.api_keys[1]",
        "name: hr-system",
        "its own entry",
    ),
}


@pytest.mark.parametrize("case", list(CONTRADICTIONS.values()), ids=list(CONTRADICTIONS))
def test_contradictory_rules_are_load_errors(tmp_path: Path, case: tuple[str, str, str, str, str, str]) -> None:
    base, old, new, key, line_needle, fix = case
    text = edit(base, old, new)
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == key
    # The needle's last occurrence: the line the edit added (name's own `required` comes earlier, say).
    assert error.line == line_of(text, line_needle, text.count(line_needle))
    assert fix in error.fix


def test_email_domains_without_an_email_is_refused(tmp_path: Path) -> None:
    text = edit(ACME, "  email:\n    required: [invite]\n    format: email\n    max_length: 254\n", "")
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.key == "email_domains"
    assert error.line == line_of(text, "email_domains:")


# ------------------------------------------------------------------ file names, directories, revisions


@pytest.mark.parametrize("name", ["ACME.yaml", "acme corp.yaml", "-acme.yaml", "a" * 64 + ".yaml"])
def test_invalid_file_name_as_tenant_id(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, ACME, name)
    error = only_error(path)
    assert "not a valid tenant id" in error.message
    assert repr(path.stem) in error.message
    assert "rename the file" in error.fix


def test_invalid_tenant_id_is_reported_with_the_other_problems(tmp_path: Path) -> None:
    path = write(tmp_path, edit(ACME, "  self_signup: false", "  self_sigup: false"), "Bad Name.yaml")
    errors = load_errors(path)
    assert len(errors) == 2
    assert any("tenant id" in e.message for e in errors)
    assert any(e.key == "registration.self_sigup" for e in errors)


def test_valid_tenant_ids(tmp_path: Path) -> None:
    for name in ["a", "acme-eu_2", "0" * 63]:
        assert load_policy(write(tmp_path, ACME, f"{name}.yaml")).tenant == name


def test_load_directory_collects_errors_of_every_file(tmp_path: Path) -> None:
    acme = write(tmp_path, edit(ACME, "  self_signup: false", "  self_sigup: false"), "acme.yaml")
    shop = write(tmp_path, edit(SHOP, "display_name: Example Shop\n", ""), "shop.yaml")
    write(tmp_path, ACME, "good.yaml")
    (tmp_path / "notes.txt").write_text("not a policy: ignored\n")
    with pytest.raises(PolicyLoadError) as caught:
        load_directory(tmp_path)
    errors = caught.value.errors
    assert {(e.file, e.key) for e in errors} == {(acme, "registration.self_sigup"), (shop, "display_name")}
    message = str(caught.value)
    assert f"{acme}:" in message
    assert f"{shop}:" in message


def test_load_directory_refuses_the_same_tenant_twice(tmp_path: Path) -> None:
    write(tmp_path, ACME, "acme.yaml")
    yml = write(tmp_path, ACME, "acme.yml")
    with pytest.raises(PolicyLoadError) as caught:
        load_directory(tmp_path)
    (error,) = caught.value.errors
    assert error.file == yml
    assert "defined twice" in error.message


def test_load_directory_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError) as caught:
        load_directory(tmp_path / "missing")
    (error,) = caught.value.errors
    assert "does not exist" in error.message
    assert "REGAPI_POLICY_DIR" in error.fix


def test_load_directory_reads_yml_files(tmp_path: Path) -> None:
    write(tmp_path, ACME, "acme.yml")
    write(tmp_path, SHOP, "shop.yaml")
    assert sorted(load_directory(tmp_path)) == ["acme", "shop"]


def test_revision_follows_the_file_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, ACME)
    first = load_policy(path).revision
    assert load_policy(path).revision == first  # same bytes, same revision
    write(tmp_path, ACME + "# a comment changes the bytes, not the rules\n")
    changed = load_policy(path).revision
    assert changed != first
    write(tmp_path, edit(ACME, "  min_length: 12", "  min_length: 14"))
    assert load_policy(path).revision not in {first, changed}
    write(tmp_path, ACME)
    assert load_policy(path).revision == first


def test_demo_files_have_different_revisions() -> None:
    assert load_policy(POLICIES / "acme.yaml").revision != load_policy(POLICIES / "shop.yaml").revision


# ------------------------------------------------------------------ the quick reading and the full one

# Plain YAML: what api.policy.plain_yaml reads itself. Each must read as PyYAML's SafeLoader reads it.
PLAIN_YAML = [
    "a: b\n",
    "a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 017\nf: 1_000\ng: 1:30\nh: 0b101\n",
    "a: 1.5\nb: .inf\nc: -.Inf\nd: 1e3\ne: 6.8523015e+5\nf: 190:20:30.15\n",
    "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: False\ng: y\n",
    "a: ~\nb: null\nc:\nd: Null\n",
    "a: '1'\nb: \"yes\"\nc: 'null'\nd: \"\"\ne: ''\n",
    "a: |\n  two\n  lines\nb: >\n  folded\n  text\n",
    "a: [1, two, 'three', yes]\nb: {c: d, e: [f]}\nc: []\nd: {}\n",
    "a:\n  - b: 1\n    c: [x]\n  - - nested\n    - list\n",
    "1: one\ntrue: two\n~: three\n1.5: four\n",
    "a: plain text with spaces\nb: 'it''s'\nc: \"tab\\there\"\nd: é\ne: x # comment\n",
    "--- \na: b\n...\n",
    "%YAML 1.1\n---\na: b\n",
    "a: '-'\nb: .\nc: :x\nd: =x\ne: x=\n",
]

# Not plain: the full reading takes these (and refuses or reads them with PyYAML's rules).
NOT_PLAIN_YAML = [
    "a: &x b\nc: *x\n",  # an alias, even of a scalar
    "a: &x [1]\nb: *x\n",
    "a: *x\n",  # an alias of nothing
    "a: !!str 1\n",  # any tag
    "a: !custom b\n",
    "a: 2024-01-01\n",  # a timestamp
    "<<: {a: 1}\nb: 2\n",  # a merge key
    "a: =\n",  # YAML's "value" type
    "? [a]\n: b\n",  # a key that is a list
    "a: 1\na: 2\n",  # a key given twice
    "1: a\n'1': b\n",  # one key to the full reading, spelt twice
    "a: b\n---\nc: d\n",  # two documents
    "",
    "- a\n",  # not a mapping
    "plain\n",
    "a: [\n",  # a syntax error
    "a:\n\tb: 1\n",
    "a: " + "[" * 20 + "]" * 20 + "\n",  # deeper than MAX_DEPTH
]


def _plain(text: str) -> object:
    loader = SafeLoader(text)
    try:
        return read_plain(loader)
    finally:
        loader.dispose()


@pytest.mark.parametrize("text", PLAIN_YAML)
def test_plain_reading_reads_as_pyyaml_does(text: str) -> None:
    data = _plain(text)
    assert data == yaml.load(text, Loader=SafeLoader)  # noqa: S506 (the safe loader)
    assert repr(data) == repr(yaml.load(text, Loader=SafeLoader))  # noqa: S506 (True is not 1, 1.0 is not 1)


@pytest.mark.parametrize("text", NOT_PLAIN_YAML)
def test_plain_reading_leaves_the_rest_to_the_full_reading(text: str) -> None:
    with pytest.raises(NotPlainError):
        _plain(text)


def test_the_demo_files_are_read_the_quick_way() -> None:
    # Not a timing: if the demo files stopped being plain, every start-up would take the full reading.
    for name in ("acme", "shop", "coop"):
        path = POLICIES / f"{name}.yaml"
        assert _plain(path.read_text(encoding="utf-8"))["version"] == 1


def test_a_valid_file_that_is_not_plain_loads_the_same(tmp_path: Path) -> None:
    named = edit(ACME, "  primary_color:", "  display_name: {en: acme}\n  primary_color:")
    pairs = [
        (ACME, edit(ACME, "display_name: ACME Corp", "display_name: !!str ACME Corp")),  # a tag
        (named, edit(edit(named, "{en: acme}", "{en: *pool}"), "user_pool: acme", "user_pool: &pool acme")),  # an alias
    ]
    for plain, other in pairs:
        with pytest.raises(NotPlainError):
            _plain(other)
        expected = load_policy(write(tmp_path, plain))
        loaded = load_policy(write(tmp_path, other))
        assert loaded.policy == expected.policy
        assert loaded.attributes == expected.attributes


def test_anchors_of_lists_and_maps_are_refused(tmp_path: Path) -> None:
    # A few bytes of aliases can expand into millions of nodes ("billion laughs").
    text = edit(ACME, "  require: [lowercase, uppercase, digits, symbols]", "  require: &classes [lowercase]")
    text = edit(text, "    required: [invite]\n    format: email", "    required: *classes\n    format: email")
    error = only_error(write(tmp_path, text))
    assert error.message == "YAML syntax: anchors and aliases (&name, *name) are not allowed in policy files"


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    error = only_error(write(tmp_path, ACME + "x: " + "[" * 20 + "]" * 20 + "\n"))
    assert error.message == "YAML syntax: nested deeper than 16 levels"


def test_loading_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    # load_each keeps the cyclic collector off while it loads: sound only while loading a file, good or
    # broken, leaves nothing that only the collector could free.
    write(tmp_path, ACME, "acme.yaml")
    write(tmp_path, ACME, "acme.yml")
    write(tmp_path, SHOP, "Shop.yaml")
    write(tmp_path, "a: [\n", "syntax.yaml")
    write(tmp_path, "a:\n\tb: 1\n", "tab.yaml")
    write(tmp_path, edit(ACME, "  self_signup: false", "  self_sigup: false"), "unknown.yaml")
    write(tmp_path, ACME + "attributes:\n  sub: {}\n", "twice.yaml")
    write(tmp_path, edit(SHOP, "  custom:plan: {en: Plan", "  custom:plans: {en: Plan"), "contradiction.yaml")
    (tmp_path / "latin1.yaml").write_bytes("K\xf6ln".encode("latin-1"))
    expected = {"acme"}, {"acme.yml", "Shop.yaml", "syntax.yaml", "tab.yaml", "unknown.yaml", "twice.yaml"}
    load_each(tmp_path)  # imports and caches first
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        tenants, refused = load_each(tmp_path)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
    assert set(tenants) == expected[0]
    assert expected[1] < {path.name for path in refused}
