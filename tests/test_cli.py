"""The `regapi` command, run as a real process: `python -m api` is what the console script calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"


def regapi(*args: str, cwd: Path = REPO, **settings: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGAPI_")} | settings
    return subprocess.run(
        [sys.executable, "-m", "api", *args], cwd=cwd, env=env, capture_output=True, timeout=60, check=False
    )


def test_console_script_is_the_cli() -> None:
    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "regapi"]
    assert script.value == "api.cli:main"


def test_policy_check_of_the_demo_policies() -> None:
    result = regapi("policy", "check", "policies/")
    stdout = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    lines = stdout.splitlines()
    tenants = sorted(p.stem for p in POLICIES.glob("*.y*ml"))
    assert {"acme", "shop"} <= set(tenants)
    assert len(lines) == len(tenants)
    for line, tenant in zip(lines, tenants, strict=True):
        assert line.split()[:2] == ["ok", tenant]
        assert f"{tenant}.yaml" in line
        assert "revision" in line
    assert result.stderr == b""


def test_policy_check_defaults_to_policies() -> None:
    result = regapi("policy", "check")
    assert result.returncode == 0, result.stderr.decode()
    assert b"policies/acme.yaml" in result.stdout
    assert b"policies/shop.yaml" in result.stdout


def test_policy_check_reports_file_line_and_key(tmp_path: Path) -> None:
    text = (POLICIES / "acme.yaml").read_text(encoding="utf-8")
    assert text.count("  self_signup: false") == 1
    broken = text.replace("  self_signup: false", "  self_sigup: false")
    line = next(n for n, content in enumerate(broken.splitlines(), start=1) if "self_sigup" in content)
    path = tmp_path / "acme.yaml"
    path.write_text(broken, encoding="utf-8")
    (tmp_path / "shop.yaml").write_text((POLICIES / "shop.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    result = regapi("policy", "check", str(tmp_path))
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert f"{path}:{line}: registration.self_sigup:" in stderr
    assert "did you mean 'self_signup'?" in stderr
    assert "1 problem in" in stderr
    assert result.stdout == b""  # nothing is reported ok when the set is refused


def test_policy_check_counts_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("version: [\n", encoding="utf-8")
    result = regapi("policy", "check", str(tmp_path))
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert f"{tmp_path / 'a.yaml'}:1: display_name:" in stderr
    assert f"{tmp_path / 'a.yaml'}:1: cognito:" in stderr
    assert f"{tmp_path / 'b.yaml'}:" in stderr
    assert "3 problems in" in stderr


def one_line_refusal(result: subprocess.CompletedProcess[bytes], expected: str) -> None:
    """A missing or unreadable path: one clear line, status 2, no traceback."""
    assert result.returncode == 2, result.stderr.decode()
    assert result.stderr.decode().splitlines() == [expected]
    assert result.stdout == b""


def test_policy_check_of_a_missing_directory(tmp_path: Path) -> None:
    one_line_refusal(
        regapi("policy", "check", str(tmp_path / "nowhere")), f"regapi: no such directory: {tmp_path / 'nowhere'}"
    )


def test_every_command_answers_a_missing_path_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "shop-new.yaml"
    one_line_refusal(regapi("policy", "diff", "policies/shop.yaml", str(missing)), f"regapi: no such file: {missing}")
    one_line_refusal(regapi("policy", "diff", str(tmp_path), "policies/shop.yaml"), f"regapi: {tmp_path} is not a file")
    one_line_refusal(
        regapi("policy", "explain", "--policies", str(tmp_path / "gone"), "--tenant", "shop", "--operation", "sign_up"),
        f"regapi: no such directory: {tmp_path / 'gone'}",
    )
    one_line_refusal(
        regapi("serve", "--policies", str(tmp_path / "gone")), f"regapi: no such directory: {tmp_path / 'gone'}"
    )


def test_a_tab_in_a_policy_file_is_named_as_such(tmp_path: Path) -> None:
    text = (POLICIES / "shop.yaml").read_text(encoding="utf-8").replace("  user_pool: shop", "\tuser_pool: shop")
    (tmp_path / "shop.yaml").write_text(text, encoding="utf-8")
    result = regapi("policy", "check", str(tmp_path))
    assert result.returncode == 1
    assert "YAML does not allow tabs for indentation" in result.stderr.decode()
    assert "fix: indent with spaces" in result.stderr.decode()


def test_explain_prints_the_revision_under_both_names() -> None:
    result = regapi("policy", "explain", "--tenant", "shop", "--operation", "sign_up", "--username", "a@shop.example")
    decision = json.loads(result.stdout)
    assert decision["revision"] == decision["policyRevision"] != ""


def test_export_schema_matches_the_committed_schema() -> None:
    result = regapi("export-schema")
    assert result.returncode == 0, result.stderr.decode()
    committed = (REPO / "schema.graphql").read_bytes()
    assert result.stdout == committed, "schema.graphql is stale: run `make schema` and commit it"


def test_unknown_command_is_a_usage_error() -> None:
    result = regapi("frobnicate")
    assert result.returncode == 2
    assert b"usage: regapi" in result.stderr


def test_serve_with_strict_policies_refuses_to_start_on_a_bad_policy(tmp_path: Path) -> None:
    broken = (POLICIES / "acme.yaml").read_text(encoding="utf-8").replace("self_signup: false", "self_signup: nope")
    (tmp_path / "acme.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "shop.yaml").write_text((POLICIES / "shop.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = regapi("serve", "--policies", str(tmp_path), REGAPI_STRICT_POLICIES="1")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "refusing to start" in stderr
    assert f"{tmp_path / 'acme.yaml'}:" in stderr
    assert "registration.self_signup" in stderr


def test_policy_check_fails_on_a_pool_shared_undeclared(tmp_path: Path) -> None:
    shop = (POLICIES / "shop.yaml").read_text(encoding="utf-8")
    line = next(n for n, content in enumerate(shop.splitlines(), start=1) if content == "cognito:")
    for name in ("shop", "blog"):  # blog.yaml copied from shop.yaml: the accident the rule is for
        (tmp_path / f"{name}.yaml").write_text(shop, encoding="utf-8")
    (tmp_path / "acme.yaml").write_text((POLICIES / "acme.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = regapi("policy", "check", str(tmp_path))
    stderr = result.stderr.decode()
    assert result.returncode == 1
    for name in ("shop", "blog"):
        assert f"{tmp_path / name}.yaml:{line}: cognito.shared: pool 'shop' is also named by" in stderr
    assert "shared: true" in stderr
    assert "2 problems in" in stderr
    report = json.loads(regapi("policy", "check", "--format", "json", str(tmp_path)).stdout)
    assert report["tenants"] == ["acme"]
    assert not report["ok"]

    declared = shop.replace("  user_pool: shop\n", "  user_pool: shop\n  shared: true\n")
    for name in ("shop", "blog"):
        (tmp_path / f"{name}.yaml").write_text(declared, encoding="utf-8")
    assert regapi("policy", "check", str(tmp_path)).returncode == 0
