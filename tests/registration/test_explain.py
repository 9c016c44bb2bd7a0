"""Explaining a decision: `regapi policy explain` and the admin query explainRegistration. No side effects."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ACME_KEY, ROOT, SHOP_KEY
from tests.helpers.client import Api
from tests.helpers.documents import EXPLAIN, attrs


def run_explain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", "policy", "explain", "--policies", str(ROOT / "policies"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_cli_explains_a_denial_with_every_violation() -> None:
    result = run_explain(
        "--tenant",
        "shop",
        "--operation",
        "sign_up",
        "--username",
        "Ann@Shop.example",
        "--attribute",
        "name=Ann",
        "--attribute",
        "custom:plan=gold",
        "--password",
        "short",
    )
    assert result.returncode == 1, result.stderr
    decision = json.loads(result.stdout)
    assert decision["allowed"] is False
    assert (decision["tenant"], decision["operation"]) == ("shop", "sign_up")
    assert len(decision["revision"]) == 16
    assert {(v["code"], v["attribute"]) for v in decision["violations"]} == {
        ("VALUE_NOT_ALLOWED", "custom:plan"),
        ("PASSWORD_TOO_SHORT", None),
        ("PASSWORD_NEEDS_DIGIT", None),
    }


def test_cli_explains_an_allowed_request_and_first_sign_in() -> None:
    allowed = run_explain(
        "--tenant",
        "acme",
        "--operation",
        "invite",
        "--username",
        "alice",
        "--attribute",
        "email=alice@acme.example",
        "--attribute",
        "custom:employee_id=E123456",
    )
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["violations"] == []
    first = run_explain(
        "--tenant",
        "acme",
        "--operation",
        "first_sign_in",
        "--existing",
        "email",
        "--attribute",
        "email=x@acme.example",
    )
    assert first.returncode == 1
    codes = {(v["code"], v["attribute"]) for v in json.loads(first.stdout)["violations"]}
    assert codes == {("ATTRIBUTE_ALREADY_SET", "email"), ("REQUIRED_ATTRIBUTE_MISSING", "name")}


def test_cli_usage_errors() -> None:
    assert run_explain("--tenant", "nope", "--operation", "invite").returncode == 2
    assert run_explain("--tenant", "acme", "--operation", "invite", "--attribute", "no-equals").returncode == 2


def test_admin_query_explains_without_side_effects(api: Api, unique: str) -> None:
    username = f"dry-{unique}"
    variables = {
        "input": {
            "tenant": "acme",
            "operation": "INVITE",
            "username": username,
            "attributes": attrs(email=f"{username}@evil.example", custom_employee_id="E1"),
        }
    }
    decision = api.data(EXPLAIN, variables, token=ACME_KEY)
    assert decision["allowed"] is False
    assert decision["operation"] == "INVITE"
    assert {(v["code"], v["attribute"]) for v in decision["violations"]} == {
        ("EMAIL_DOMAIN_NOT_ALLOWED", "email"),
        ("PATTERN_MISMATCH", "custom:employee_id"),
    }
    ok = {
        "input": {
            **variables["input"],
            "attributes": attrs(email=f"{username}@acme.example", custom_employee_id="E123456"),
        }
    }
    assert api.data(EXPLAIN, ok, token=ACME_KEY)["allowed"] is True
    assert api.outbox("acme", username) == []  # nothing was created


def test_admin_query_needs_the_tenants_key(api: Api) -> None:
    variables = {"input": {"tenant": "acme", "operation": "INVITE", "attributes": []}}
    for token in (None, SHOP_KEY):
        body = api.gql(EXPLAIN, variables, token=token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


def test_the_admin_query_offers_the_revision_under_both_names(api: Api) -> None:
    query = "query($i: ExplainRegistrationInput!) { explainRegistration(input: $i) { revision policyRevision } }"
    variables = {"i": {"tenant": "shop", "operation": "SIGN_UP", "attributes": []}}
    decision = api.data(query, variables, token=SHOP_KEY)
    assert decision["revision"] == decision["policyRevision"] != ""
