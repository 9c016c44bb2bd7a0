"""`regapi policy check --against-pool`: each policy compared with the pool it names, on a real endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.cognito.adapter import create_client
from api.cognito.pool_config import PASSWORD_FLAGS, against_pool, pool_parameters
from api.policy.model import CHARACTER_CLASSES, Policy
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
        ],
    )["UserPool"]["Id"]
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
    }, found
    lines = {e["key"]: e["line"] for e in report["errors"]}
    assert lines["password.min_length"] == 10
    assert lines["attributes.custom:badge.mutable"] == 16
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
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c", GenerateSecret=True)[
        "UserPoolClient"
    ]["ClientId"]
    policy = POLICY.format(pool_id=pool_id, client_id=client_id).replace(
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
