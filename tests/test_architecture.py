"""The import rules of DESIGN.md section 3, checked on the source with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "api"

EXTERNAL_AWS = ("boto3", "botocore", "moto")


@dataclass(frozen=True)
class Import:
    target: str  # the dotted name imported, `from a import b` giving a.b
    line: int


@dataclass(frozen=True)
class Rule:
    text: str
    applies_to: Callable[[str], bool]
    allows: Callable[[str], bool]


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def stdlib(name: str) -> bool:
    return name.partition(".")[0] in sys.stdlib_module_names


RULES = [
    Rule(
        "api.policy imports only the standard library, pydantic, yaml and api.policy",
        lambda module: within(module, "api.policy"),
        lambda target: stdlib(target) or within(target, "pydantic", "yaml", "api.policy"),
    ),
    Rule(
        "api.cognito.port imports only the standard library",
        lambda module: module == "api.cognito.port",
        stdlib,
    ),
    Rule(
        "only api/cognito/adapter.py and api/cognito/embedded/ import boto3, botocore or moto",
        lambda module: not within(module, "api.cognito.adapter", "api.cognito.embedded"),
        lambda target: not within(target, *EXTERNAL_AWS),
    ),
    Rule(
        "api.schema imports only api.schema, api.registration, strawberry, graphql, starlette and the standard library",
        lambda module: within(module, "api.schema"),
        lambda target: (
            stdlib(target) or within(target, "api.schema", "api.registration", "strawberry", "graphql", "starlette")
        ),
    ),
    Rule(
        "api.registration never imports api.schema, api.app, strawberry, boto3, botocore or moto",
        lambda module: within(module, "api.registration"),
        lambda target: not within(target, "api.schema", "api.app", "strawberry", *EXTERNAL_AWS),
    ),
    Rule(
        "api.registration reaches Cognito only through api.cognito.port",
        lambda module: within(module, "api.registration"),
        lambda target: not within(target, "api.cognito") or within(target, "api.cognito.port"),
    ),
    Rule(
        "api.cognito never imports the layers above it (registration, schema, app, provisioning, policy)",
        lambda module: within(module, "api.cognito"),
        lambda target: (
            not within(target, "api.registration", "api.schema", "api.app", "api.provisioning", "api.policy")
        ),
    ),
    Rule(
        "nothing imports api.app except api.cli",
        lambda module: module not in {"api.cli", "api.app"},
        lambda target: not within(target, "api.app"),
    ),
]


def module_name(path: Path, root: Path = API) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(module: str, source: str, *, is_package: bool = False) -> list[Import]:
    """Every import of a module's source, wherever it is (functions, TYPE_CHECKING blocks, try/except)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            found += [
                Import(origin if alias.name == "*" else f"{origin}.{alias.name}", node.lineno) for alias in node.names
            ]
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(node.args[0].value, node.lineno))
    return found


def violations(module: str, source: str, *, is_package: bool = False, where: str = "") -> list[str]:
    where = where or module
    return [
        f"{where}:{imp.line}: {module} imports {imp.target} -- breaks the rule: {rule.text}"
        for imp in imports_of(module, source, is_package=is_package)
        for rule in RULES
        if rule.applies_to(module) and not rule.allows(imp.target)
    ]


def api_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(API.rglob("*.py"))}


# ------------------------------------------------------------------ the real code


def test_the_checker_sees_the_whole_package() -> None:
    modules = api_modules()
    assert {
        "api.app",
        "api.cli",
        "api.policy",
        "api.policy.engine",
        "api.policy.loader",
        "api.cognito.port",
        "api.cognito.adapter",
        "api.cognito.embedded",
        "api.registration.service",
        "api.schema",
    } <= set(modules)
    for rule in RULES:
        assert any(rule.applies_to(module) for module in modules), f"no module under the rule: {rule.text}"


def test_import_rules_of_design_section_3() -> None:
    broken = []
    for module, path in api_modules().items():
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(API.parent))
        broken += violations(module, source, is_package=path.name == "__init__.py", where=where)
    print("\n".join(broken))
    assert not broken, "import rules broken (DESIGN.md section 3):\n" + "\n".join(broken)


def test_the_adapter_and_embedded_cognito_really_use_aws_libraries() -> None:
    # Keeps the boto3/moto exemption honest: if these stop importing them, the rule needs a look.
    modules = api_modules()
    adapter = {i.target for i in imports_of("api.cognito.adapter", modules["api.cognito.adapter"].read_text())}
    assert any(within(t, "boto3") for t in adapter)
    embedded = set()
    for module, path in modules.items():
        if within(module, "api.cognito.embedded"):
            embedded |= {i.target for i in imports_of(module, path.read_text(), is_package=path.name == "__init__.py")}
    assert any(within(t, "moto") for t in embedded)


# ------------------------------------------------------------------ the checker catches what it should


@pytest.mark.parametrize(
    ("module", "source", "rules"),
    [
        ("api.policy.engine", "import boto3\n", ["api.policy imports only", "only api/cognito/adapter.py"]),
        ("api.policy.rules", "from moto.core import mock_aws\n", ["api.policy imports only", "only api/cognito"]),
        ("api.policy.model", "import requests\n", ["api.policy imports only"]),
        ("api.policy.engine", "from api.registration import service\n", ["api.policy imports only"]),
        ("api.policy.engine", "from .. import app\n", ["api.policy imports only", "nothing imports api.app"]),
        ("api.cognito.port", "import pydantic\n", ["api.cognito.port imports only"]),
        (
            "api.cognito.port",
            "from api.policy import Policy\n",
            ["api.cognito.port imports only", "api.cognito never imports"],
        ),
        ("api.schema.types", "from api.cognito.port import Tokens\n", ["api.schema imports only"]),
        ("api.schema.types", "from ..cognito import adapter\n", ["api.schema imports only"]),
        ("api.schema", "from api.policy import ViolationCode\n", ["api.schema imports only"]),
        ("api.schema.view", "import botocore.exceptions\n", ["only api/cognito", "api.schema imports only"]),
        ("api.registration.service", "import strawberry\n", ["api.registration never"]),
        ("api.registration.forms", "from api.schema import types\n", ["api.registration never"]),
        ("api.registration.forms", "from api import app\n", ["api.registration never", "nothing imports api.app"]),
        (
            "api.registration.forms",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import moto\n",
            ["only api/cognito", "api.registration never"],
        ),
        (
            "api.registration.service",
            "def f():\n    import importlib\n    return importlib.import_module('boto3')\n",
            ["only api/cognito", "api.registration never"],
        ),
        ("api.settings", "import api.app\n", ["nothing imports api.app"]),
        (
            "api.cognito.embedded.fidelity",
            "from api.app import create_app\n",
            ["nothing imports api.app", "api.cognito never imports"],
        ),
        (
            "api.registration.service",
            "from api.cognito.adapter import CognitoAdapter\n",
            ["only through api.cognito.port"],
        ),
        ("api.registration.service", "from api.cognito import embedded\n", ["only through api.cognito.port"]),
        ("api.cognito.embedded", "from api.policy.model import Policy\n", ["api.cognito never imports"]),
        ("api.cognito.adapter", "from api.registration import ErrorCode\n", ["api.cognito never imports"]),
    ],
)
def test_checker_reports_a_violation(module: str, source: str, rules: list[str]) -> None:
    found = violations(module, source, where="synthetic.py")
    assert len(found) == len(rules), found
    for expected in rules:
        assert any(expected in line and "synthetic.py:" in line and module in line for line in found), (
            expected,
            found,
        )


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("api.cognito.adapter", "import boto3\nfrom botocore.config import Config\n"),
        ("api.cognito.embedded.fidelity", "from moto.cognitoidp.models import CognitoIdpBackend\n"),
        ("api.cognito.embedded", "from . import fidelity\nfrom api.cognito.adapter import create_client\n"),
        ("api.policy.loader", "import yaml\nfrom pydantic import BaseModel\nfrom .model import Policy\n"),
        ("api.schema.view", "from starlette.requests import Request\nfrom api.registration import Caller\n"),
        ("api.cli", "from api.app import create_app\n"),
        ("api.registration.service", "from api.cognito.port import Tokens\nfrom api.policy import evaluate\n"),
    ],
)
def test_checker_allows_what_the_design_allows(module: str, source: str) -> None:
    assert violations(module, source, is_package=module == "api.cognito.embedded") == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert [i.target for i in imports_of("api.policy.engine", "from .model import Policy\n")] == [
        "api.policy.model.Policy"
    ]
    assert [i.target for i in imports_of("api.policy", "from .engine import evaluate\n", is_package=True)] == [
        "api.policy.engine.evaluate"
    ]
    assert [i.target for i in imports_of("api.schema.view", "from ..cognito import port\n")] == ["api.cognito.port"]
