"""`regapi policy diff OLD NEW`: what a change does, and with --against-pool whom it affects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api.cognito.adapter import create_client, secret_hash
from api.cognito.pool_config import client_parameters, pool_parameters
from api.policy import load_policy
from tests.helpers import DEMO_POLICIES, ROOT


def diff(old: Path, new: Path, *extra: str, endpoint: str | None = None) -> dict[str, Any]:
    env = {**os.environ, **({"REGAPI_COGNITO_ENDPOINT": endpoint} if endpoint else {})}
    result = subprocess.run(
        [sys.executable, "-m", "api", "policy", "diff", str(old), str(new), "--format", "json", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def changed(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return text


def test_diff_lists_rules_added_removed_and_changed(tmp_path: Path) -> None:
    new = tmp_path / "shop.yaml"
    new.write_text(
        changed(
            (DEMO_POLICIES / "shop.yaml").read_text(encoding="utf-8"),
            ("  self_signup: true", "  self_signup: false"),
            ("  min_length: 10", "  min_length: 12"),
            (
                "    required: [sign_up]\n    max_length: 100",
                "    required: [sign_up, first_sign_in]\n    max_length: 100",
            ),
        ),
        encoding="utf-8",
    )
    report = diff(DEMO_POLICIES / "shop.yaml", new)
    changes = {c["path"]: c for c in report["changes"]}
    assert set(changes) == {"registration.self_signup", "password.min_length", "attributes.name.required"}
    assert changes["registration.self_signup"]["before"] is True
    assert changes["registration.self_signup"]["after"] is False
    assert "closed" in changes["registration.self_signup"]["note"]
    assert changes["attributes.name.required"]["after"] == ["sign_up", "first_sign_in"]
    assert report["old"]["revision"] != report["new"]["revision"]
    text = subprocess.run(
        [sys.executable, "-m", "api", "policy", "diff", str(DEMO_POLICIES / "shop.yaml"), str(new)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "3 change(s)" in text
    assert "registration.self_signup: True -> False" in text


def test_diff_says_what_closing_a_multiline_attribute_does(tmp_path: Path) -> None:
    text = (DEMO_POLICIES / "shop.yaml").read_text(encoding="utf-8")
    old, new = tmp_path / "old" / "shop.yaml", tmp_path / "new" / "shop.yaml"
    for path, rule in ((old, "true"), (new, "false")):
        path.parent.mkdir()
        path.write_text(changed(text, ("    max_length: 100", f"    max_length: 100\n    multiline: {rule}")), "utf-8")
    (change,) = diff(old, new)["changes"]
    assert (change["path"], change["before"], change["after"]) == ("attributes.name.multiline", True, False)
    assert "line breaks are refused" in change["note"]


def test_against_the_pool_it_lists_the_users_a_change_affects(standalone_cognito: str, tmp_path: Path) -> None:
    cognito = create_client("us-east-1", standalone_cognito)
    before = load_policy(DEMO_POLICIES / "shop.yaml").policy
    pool_id = cognito.create_user_pool(**pool_parameters("shop", [before]))["UserPool"]["Id"]
    app_client = cognito.create_user_pool_client(UserPoolId=pool_id, **client_parameters([before]))["UserPoolClient"]
    client_id = app_client["ClientId"]
    stamp = [{"Name": "custom:tenant_id", "Value": "shop"}]
    cognito.sign_up(
        ClientId=client_id,
        Username="pending@shop.example",
        Password="pending pass 1",
        SecretHash=secret_hash(app_client["ClientSecret"], "pending@shop.example", client_id),
        UserAttributes=[{"Name": "email", "Value": "pending@shop.example"}, *stamp],
    )
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="invited@shop.example",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "invited@shop.example"}, *stamp],
    )
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="nameless@shop.example",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "nameless@shop.example"}, *stamp],
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="nameless@shop.example", Password="nameless pass 1", Permanent=True
    )
    ids = f"  user_pool: shop\n  user_pool_id: {pool_id}\n  client_id: {client_id}\n"
    text = (DEMO_POLICIES / "shop.yaml").read_text(encoding="utf-8").replace("  user_pool: shop\n", ids)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "shop.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "new" / "shop.yaml").write_text(
        changed(
            text,
            ("  self_signup: true", "  self_signup: false"),
            (
                "    required: [sign_up]\n    max_length: 100",
                "    required: [sign_up, first_sign_in]\n    max_length: 100",
            ),
        ),
        encoding="utf-8",
    )
    report = diff(
        tmp_path / "old" / "shop.yaml", tmp_path / "new" / "shop.yaml", "--against-pool", endpoint=standalone_cognito
    )
    assert report["affected"] == {
        "open invitations": ["invited@shop.example"],
        "pending sign-ups": ["pending@shop.example"],
        "missing newly required name": ["nameless@shop.example"],
    }
