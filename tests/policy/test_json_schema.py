"""The committed JSON Schema of policy files: current, and agreeing with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from api.policy.model import policy_json_schema

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SCHEMA_FILE = POLICIES / "policy.schema.json"


def test_committed_schema_matches_the_model() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == policy_json_schema(), "policies/policy.schema.json drifted: run `make schema`"


@pytest.mark.parametrize("name", ["acme.yaml", "shop.yaml"])
def test_demo_policies_are_valid_and_point_editors_at_the_schema(name: str) -> None:
    text = (POLICIES / name).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=./policy.schema.json\n")
    jsonschema.validate(yaml.safe_load(text), policy_json_schema())


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    data = yaml.safe_load((POLICIES / "acme.yaml").read_text(encoding="utf-8"))
    data["registration"]["selfsignup"] = True
    with pytest.raises(jsonschema.ValidationError, match="selfsignup"):
        jsonschema.validate(data, policy_json_schema())
    data = yaml.safe_load((POLICIES / "shop.yaml").read_text(encoding="utf-8"))
    data["attributes"]["custom:plan"]["required"] = ["signup"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, policy_json_schema())
