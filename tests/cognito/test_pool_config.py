"""`regapi policy check --against-pool`: each policy compared with the pool it names, on a real endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from api.cognito.adapter import create_client
from api.cognito.pool_config import PASSWORD_FLAGS, against_pool, client_parameters, pool_parameters
from api.policy.model import CHARACTER_CLASSES, STANDARD_ATTRIBUTES, Policy
from tests.helpers import ROOT

POLICY = """version: 1
display_name: Against
cognito:
  user_pool: against
  user_pool_id: {pool_id}
  client_id: {client_id}
registration:
  self_signup: true
password:
  min_length: 8
attributes:
  email:
    required: [invite, sign_up]
    format: email
  custom:badge:
    mutable: true
  custom:missing:
    max_length: 5
  custom:tier:
    writable_by: [invite, sign_up, admin_update]
"""


def check(directory: Path, endpoint: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "REGAPI_COGNITO_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "api", "policy", "check", str(directory), "--against-pool", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )
    return result.returncode, json.loads(result.stdout)


def test_mismatches_with_the_pool_are_named_with_file_line_key_and_fix(standalone_cognito: str, tmp_path: Path) -> None:
    cognito = create_client("us-east-1", standalone_cognito)
    pool_id = cognito.create_user_pool(
        PoolName="strict",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
        Schema=[
            {"Name": "name", "AttributeDataType": "String", "Required": True},
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "tier", "AttributeDataType": "String"},
        ],
    )["UserPool"]["Id"]
    # A client as the console makes one: no WriteAttributes, so a user's token may write every attribute.
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c", GenerateSecret=True)[
        "UserPoolClient"
    ]["ClientId"]
    (tmp_path / "against.yaml").write_text(POLICY.format(pool_id=pool_id, client_id=client_id), encoding="utf-8")
    code, report = check(tmp_path, standalone_cognito)
    assert code == 1
    assert report["ok"] is False
    found = {(e["key"], e["message"].split(":")[0]) for e in report["errors"]}
    keys = {key for key, _ in found}
    assert keys == {
        "attributes.custom:missing",
        "attributes.custom:badge.mutable",
        "attributes.name",
        "registration.self_signup",
        "password.min_length",
        "password.require",
        "cognito.client_secret_env",
        "cognito.user_pool_id",
        "cognito.client_id",
        "attributes.custom:tier.writable_by",
    }, found
    lines = {e["key"]: e["line"] for e in report["errors"]}
    assert lines["password.min_length"] == 10
    assert lines["attributes.custom:badge.mutable"] == 16
    # custom:tier: sign-up must send it, so the client must write it, and then a user can change it.
    tier = next(e for e in report["errors"] if e["key"] == "attributes.custom:tier.writable_by")
    assert tier["line"] == 20
    assert "their own access token" in tier["message"]
    assert "immutable" in tier["fix"]
    unlisted = next(e for e in report["errors"] if e["key"] == "cognito.client_id")["message"]
    assert "given_name" in unlisted
    assert "custom:tenant_id" not in unlisted
    assert all(e["fix"] and e["file"].endswith("against.yaml") for e in report["errors"])


def test_a_policy_that_fits_its_pool_passes(standalone_cognito: str, tmp_path: Path) -> None:
    cognito = create_client("us-east-1", standalone_cognito)
    pool_id = cognito.create_user_pool(
        PoolName="fits",
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
        Schema=[
            {"Name": "badge", "AttributeDataType": "String"},
            {"Name": "missing", "AttributeDataType": "String"},
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "origin", "AttributeDataType": "String", "Mutable": False},
        ],
    )["UserPool"]["Id"]
    fitting = POLICY.replace("  custom:tier:\n    writable_by: [invite, sign_up, admin_update]\n", "")
    # The client regapi provisions: users may write what sign-up and profile updates send, and no more.
    parameters = client_parameters([Policy.model_validate(yaml.safe_load(fitting.format(pool_id="p", client_id="c")))])
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, **parameters)["UserPoolClient"]["ClientId"]
    policy = fitting.format(pool_id=pool_id, client_id=client_id).replace(
        f"  client_id: {client_id}\n", f"  client_id: {client_id}\n  client_secret_env: AGAINST_SECRET\n"
    )
    (tmp_path / "against.yaml").write_text(policy, encoding="utf-8")
    assert check(tmp_path, standalone_cognito) == (0, {"ok": True, "tenants": ["against"], "errors": []})


def test_every_password_class_has_one_pool_flag_both_ways() -> None:
    # The one class -> flag table serves the pool a policy provisions and the check of a policy against
    # its pool: a pool requiring every class makes a policy requiring none fail once per class.
    assert tuple(PASSWORD_FLAGS) == CHARACTER_CLASSES
    strict = Policy.model_validate(
        {
            "version": 1,
            "display_name": "S",
            "cognito": {"user_pool": "s"},
            "password": {"require": list(CHARACTER_CLASSES)},
        }
    )
    loose = Policy.model_validate({"version": 1, "display_name": "L", "cognito": {"user_pool": "s"}})
    pool = pool_parameters("s", [strict])
    assert all(pool["Policies"]["PasswordPolicy"][flag] is True for flag in PASSWORD_FLAGS.values())
    described = {"Policies": pool["Policies"], "SchemaAttributes": []}
    messages = [p.message for p in against_pool(loose, described, {}) if p.path == ("password", "require")]
    assert messages == [f"the pool requires {name}" for name in CHARACTER_CLASSES]


# ------------------------------------------------------------------ the trust boundary, without a server


def policy(**sections: Any) -> Policy:
    return Policy.model_validate({"version": 1, "display_name": "T", "cognito": {"user_pool": "p"}, **sections})


OPEN = {"self_signup": True}
SHOP = {
    "registration": OPEN,
    "username": {"kind": "email"},
    "attributes": {
        "name": {"required": ["sign_up"]},
        "custom:plan": {"mutable": False, "writable_by": ["invite", "sign_up"]},
        "custom:tier": {"writable_by": ["invite", "admin_update"]},
        "custom:nick": {"writable_by": ["profile_update"]},
        "custom:ref": {"writable_by": ["invite", "sign_up"]},  # mutable, but nobody changes it later
    },
}
# What no pool setting can close: a client call must send it, and the user could change it later.
RESIDUAL = {
    "custom:dept": {"writable_by": ["invite", "first_sign_in"]},
    "custom:seat": {"writable_by": ["sign_up", "admin_update"]},
}
STAMPS = ["custom:origin", "custom:tenant_id"]


def described(pool: dict[str, Any], client: dict[str, Any], **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The DescribeUserPool and DescribeUserPoolClient answers for what provisioning creates (custom names
    prefixed, as Cognito answers), with `changes` to the client."""
    schema = [
        {**a, "Name": a["Name"] if a["Name"] in STANDARD_ATTRIBUTES else f"custom:{a['Name']}"} for a in pool["Schema"]
    ]
    return {**pool, "SchemaAttributes": schema}, {**client, "ClientSecret": "s", **changes}


def test_the_client_writes_exactly_what_regapis_client_calls_send() -> None:
    # SignUp sends what sign_up may write, the e-mail username and the stamps; UpdateUserAttributes what
    # profile_update may write. Not custom:tier: only the admin calls (AdminCreateUser,
    # AdminUpdateUserAttributes) write it, and WriteAttributes does not bind those.
    client = client_parameters([policy(**SHOP)])
    assert client["WriteAttributes"] == sorted(["custom:nick", "custom:plan", "custom:ref", "email", "name", *STAMPS])
    assert set(client["ReadAttributes"]) >= {*STAMPS, "custom:tier", "email", "email_verified"}
    # RespondToAuthChallenge sends what first_sign_in may write (name, by default, and dept).
    residual = client_parameters([policy(**{**SHOP, "attributes": RESIDUAL})])["WriteAttributes"]
    assert residual == sorted(["custom:dept", "custom:seat", "email", *STAMPS])
    # Approval sign-ups are AdminCreateUser: nothing of sign-up's goes through the client then. The stamps
    # stay, immutable in the pool, because an empty list would let a token write every attribute.
    closed = policy(**{**SHOP, "registration": {"self_signup": True, "approval_required": True}})
    assert client_parameters([closed])["WriteAttributes"] == sorted(["custom:nick", "name", *STAMPS])
    assert client_parameters([policy()])["WriteAttributes"] == STAMPS
    # A shared pool's client writes what any of its tenants' calls send.
    other = policy(attributes={"nickname": {}})
    assert "nickname" in client_parameters([closed, other])["WriteAttributes"]


def test_what_nobody_changes_after_creation_is_immutable_in_the_pool() -> None:
    mutable = {a["Name"]: a["Mutable"] for a in pool_parameters("p", [policy(**SHOP)])["Schema"]}
    # email is an e-mail username's address (never changed), plan write-once, ref written at creation
    # only, the stamps regapi's: no token can rewrite them. tier is changed by admin_update, so it stays
    # mutable (and out of WriteAttributes); users change name and nick.
    assert mutable == {
        "email": False,
        "name": True,
        "plan": False,
        "tier": True,
        "nick": True,
        "ref": False,
        "tenant_id": False,
        "origin": False,
    }
    # A write-once attribute an administrator may still set once, while unset, needs a mutable pool.
    later = policy(attributes={"custom:badge": {"mutable": False, "writable_by": ["invite", "admin_update"]}})
    assert [a["Mutable"] for a in pool_parameters("p", [later])["Schema"] if a["Name"] == "badge"] == [True]
    # Shared: mutable when any tenant changes it after creation.
    email = pool_parameters("p", [policy(**SHOP), policy(attributes={"email": {}})])["Schema"][0]
    assert email == {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": False}


def test_a_pool_provisioned_from_the_policy_leaves_nothing_to_write_around_it() -> None:
    shop = policy(**SHOP, cognito={"user_pool": "p", "client_secret_env": "SECRET"})
    pool, client = described(pool_parameters("p", [shop]), client_parameters([shop]))
    assert against_pool(shop, pool, client) == []
    # What remains, named: dept goes through RespondToAuthChallenge and seat through SignUp, so the client
    # must write both, and both are changed after creation, so the pool cannot make them immutable.
    residual = policy(**{**SHOP, "attributes": RESIDUAL}, cognito={"user_pool": "p", "client_secret_env": "S"})
    pool, client = described(pool_parameters("p", [residual]), client_parameters([residual]))
    problems = against_pool(residual, pool, client)
    assert [p.path for p in problems] == [
        ("attributes", "custom:dept", "writable_by"),
        ("attributes", "custom:seat", "writable_by"),
    ]
    assert problems[1].fix == (
        "sign-up (SignUp) send it, so the client must write it: use a pool where it is immutable, "
        "or let only invite and admin_update write it"
    )


def test_every_attribute_a_token_could_write_around_the_policy_is_named() -> None:
    shop = policy(**SHOP)
    pool, client = described(pool_parameters("p", [shop]), client_parameters([shop]))
    for attribute in pool["SchemaAttributes"]:
        attribute["Mutable"] = True  # a pool made by hand: everything mutable
    for name in ("email_verified", "website"):
        pool["SchemaAttributes"].append({"Name": name, "AttributeDataType": "String", "Mutable": True})
    listed = {**client, "WriteAttributes": [*client["WriteAttributes"], "custom:tier", "email_verified", "website"]}
    problems = {p.path: p for p in against_pool(shop, pool, listed)}
    around = {path for path, p in problems.items() if "around the policy" in p.message}
    assert around == {
        ("username", "kind"),  # email: the username, which never changes
        ("attributes", "custom:plan", "writable_by"),  # write-once
        ("attributes", "custom:ref", "writable_by"),  # sign-up only
        ("attributes", "custom:tier", "writable_by"),  # admin_update only
    }
    # Sign-up must send plan, so the fix is the pool; tier is only listed, so the fix is the list.
    assert "immutable" in problems["attributes", "custom:plan", "writable_by"].fix
    assert problems["attributes", "custom:tier", "writable_by"].fix == (
        "remove custom:tier from the app client's WriteAttributes"
    )
    assert "rewrite the stamp" in problems["cognito", "user_pool_id"].message
    messages = [p.message for p in against_pool(shop, pool, listed)]
    assert "a user can set their own email_verified without a code" in messages
    assert "a user can write website with their own access token, which the policy does not allow" in messages
    # In a pool shared knowingly, a listed attribute this policy lacks may be another tenant's.
    shared = policy(**SHOP, cognito={"user_pool": "p", "shared": True})
    assert not any("website" in p.message for p in against_pool(shared, pool, listed))


def test_a_client_that_lacks_what_regapi_sends_or_reads_is_named() -> None:
    shop = policy(**SHOP)
    pool, client = described(pool_parameters("p", [shop]), client_parameters([shop]))
    narrow = {**client, "WriteAttributes": ["email", "custom:nick"], "ReadAttributes": ["email", "name"]}
    problems = {p.path: p.message for p in against_pool(shop, pool, narrow)}
    assert problems["attributes", "name"] == (
        "the app client may not write name, which sign-up (SignUp), the first sign-in (RespondToAuthChallenge) "
        "and profile updates (UpdateUserAttributes) send: Cognito would refuse them"
    )
    assert "sign-up (SignUp)" in problems["attributes", "custom:ref", "writable_by"]
    stamps = [p.message for p in against_pool(shop, pool, narrow) if p.path == ("registration", "self_signup")]
    assert sorted(m.split(",")[0] for m in stamps) == [f"the app client may not write {s}" for s in STAMPS]
    assert problems["cognito", "client_id"].startswith("the app client may not read custom:tenant_id, custom:origin")
    # No WriteAttributes at all, or an empty list: every attribute is the user's to write.
    unset = [p.path for p in against_pool(shop, pool, {**client, "WriteAttributes": []})]
    assert ("attributes", "custom:tier", "writable_by") in unset
