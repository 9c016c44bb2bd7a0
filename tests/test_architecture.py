"""The import rules of the package layout (README.md, "Layout"), checked on the source with `ast` (nothing is
imported); and the rules of tests/ itself: a test module imports from tests/ only tests.helpers (never a
conftest, never another test module), and a conftest.py holds only fixtures and hooks."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "api"
TESTS = Path(__file__).resolve().parent

EXTERNAL_AWS = ("boto3", "botocore", "moto")
# The two families of use cases (self-service flows and the admin API), over shared registration modules.
SELF_SERVICE, ADMIN = "api.registration.self_service", "api.registration.admin"
FAMILIES = (SELF_SERVICE, ADMIN)


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


# The symbols Cognito accepts in passwords, and the name of the tenant stamp the embedded outbox labels
# messages by: defined once in api.policy.
SHARED_POLICY_CONSTANTS = frozenset({"api.policy.rules.PASSWORD_SYMBOLS", "api.policy.model.TENANT_ATTRIBUTE"})

RULES = [
    Rule(
        "api.policy imports only the standard library, pydantic, yaml, the username and e-mail libraries"
        " (precis_i18n, email_validator, unicodedataplus) and api.policy",
        lambda module: within(module, "api.policy"),
        lambda target: (
            stdlib(target)
            or within(target, "pydantic", "yaml", "precis_i18n", "email_validator", "unicodedataplus", "api.policy")
        ),
    ),
    Rule(
        "api.pages imports only the standard library, starlette, api.policy and api.pages (the pages call the"
        " public GraphQL API from the browser, as any SPA would, never the use cases), and httpx with"
        " api.events.ssrf alone of api.events (regapi fetches a tenant's logo itself, through the webhooks'"
        " SSRF guard, so that no page asks another host)",
        lambda module: within(module, "api.pages"),
        lambda target: (
            stdlib(target) or within(target, "starlette", "httpx", "api.policy", "api.pages", "api.events.ssrf")
        ),
    ),
    Rule(
        "api.observability imports only the standard library, prometheus_client and api.observability",
        lambda module: within(module, "api.observability"),
        lambda target: stdlib(target) or within(target, "prometheus_client", "api.observability"),
    ),
    Rule(
        "api.events imports only the standard library, api.events, api.policy, api.observability, api.settings,"
        " api.clock, httpx, redis, standardwebhooks (and yaml: the webhook admission locates its errors' lines)",
        lambda module: within(module, "api.events"),
        lambda target: (
            stdlib(target)
            or within(
                target,
                "api.events",
                "api.policy",
                "api.observability",
                "api.settings",
                "api.clock",
                "httpx",
                "redis",
                "standardwebhooks",
                "yaml",
            )
        ),
    ),
    Rule(
        "api.cognito.port imports only the standard library",
        lambda module: module == "api.cognito.port",
        stdlib,
    ),
    Rule(
        "only api/cognito/calls.py (the one client and call) and api/cognito/embedded/ import boto3, botocore or moto",
        lambda module: not within(module, "api.cognito.calls", "api.cognito.embedded"),
        lambda target: not within(target, *EXTERNAL_AWS),
    ),
    Rule(
        "api.schema imports only api.schema, api.registration, api.observability, api.http (the request as"
        " the HTTP edge read it), strawberry, graphql, starlette, orjson and the standard library",
        lambda module: within(module, "api.schema"),
        lambda target: (
            stdlib(target)
            or within(
                target,
                "api.schema",
                "api.registration",
                "api.observability",
                "api.http",
                "strawberry",
                "graphql",
                "starlette",
                "orjson",
            )
        ),
    ),
    Rule(
        "api.registration never imports api.schema, api.app, strawberry, boto3, botocore or moto",
        lambda module: within(module, "api.registration"),
        lambda target: not within(target, "api.schema", "api.app", "strawberry", *EXTERNAL_AWS),
    ),
    Rule(
        "the self-service family never imports the admin family; they meet in the shared modules",
        lambda module: within(module, SELF_SERVICE),
        lambda target: not within(target, ADMIN),
    ),
    Rule(
        "the admin family never imports the self-service family; they meet in the shared modules",
        lambda module: within(module, ADMIN),
        lambda target: not within(target, SELF_SERVICE),
    ),
    Rule(
        "the shared registration modules (tenancy, failures, limits, invitations, ...) never import a family",
        lambda module: (
            within(module, "api.registration") and module != "api.registration" and not within(module, *FAMILIES)
        ),
        lambda target: not within(target, *FAMILIES),
    ),
    Rule(
        "api.registration.failures imports only the standard library, api.cognito.port, api.policy, outcomes and"
        " api.observability (each refusal's audit event)",
        lambda module: module == "api.registration.failures",
        lambda target: (
            stdlib(target)
            or within(target, "api.cognito.port", "api.policy", "api.registration.outcomes", "api.observability")
        ),
    ),
    Rule(
        "api.registration reaches Cognito only through api.cognito.port",
        lambda module: within(module, "api.registration"),
        lambda target: not within(target, "api.cognito") or within(target, "api.cognito.port"),
    ),
    Rule(
        "api.cognito never imports the layers above it (registration, schema, app, backends, pools, reload, cli)",
        lambda module: within(module, "api.cognito"),
        lambda target: (
            not within(
                target,
                "api.registration",
                "api.schema",
                "api.app",
                "api.backends",
                "api.pools",
                "api.reload",
                "api.cli",
            )
        ),
    ),
    Rule(
        "in api.cognito only api.cognito.pool_config knows policies (imports api.policy; the embedded Cognito"
        " imports two constants, so that they are written once)",
        lambda module: within(module, "api.cognito") and module != "api.cognito.pool_config",
        lambda target: not within(target, "api.policy") or target in SHARED_POLICY_CONSTANTS,
    ),
    Rule(
        "in api.cognito.embedded only moto_internals touches moto (the package may start moto.mock_aws)",
        lambda module: within(module, "api.cognito.embedded") and module != "api.cognito.embedded.moto_internals",
        lambda target: not within(target, "moto") or target == "moto.mock_aws",
    ),
    Rule(
        "api.cognito.pool_config imports only the standard library, api.cognito.port and api.policy (pure: no"
        " boto3, no I/O)",
        lambda module: module == "api.cognito.pool_config",
        lambda target: stdlib(target) or within(target, "api.policy", "api.cognito.port"),
    ),
    Rule(
        "api.cognito.errors imports only the standard library and api.cognito.port",
        lambda module: module == "api.cognito.errors",
        lambda target: stdlib(target) or within(target, "api.cognito.port"),
    ),
    Rule(
        "outside api.cognito, only api.backends imports api.cognito.adapter (it builds every Cognito client)",
        lambda module: not within(module, "api.cognito", "api.backends"),
        lambda target: not within(target, "api.cognito.adapter", "api.cognito.calls", "api.cognito.account"),
    ),
    Rule(
        "only api.app and api.cli import api.backends",
        lambda module: module not in {"api.app", "api.cli", "api.backends"},
        lambda target: not within(target, "api.backends"),
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
        "api.backends",
        "api.cli",
        "api.pools",
        "api.policy",
        "api.policy.engine",
        "api.policy.loader",
        "api.cognito.port",
        "api.cognito.adapter",
        "api.cognito.errors",
        "api.cognito.pool_config",
        "api.cognito.embedded",
        "api.registration",
        "api.registration.self_service",
        "api.registration.admin",
        "api.registration.tenancy",
        "api.registration.invitations",
        "api.registration.failures",
        "api.registration.limits",
        "api.schema",
        "api.settings",
        "api.http",
    } <= set(modules)
    for rule in RULES:
        assert any(rule.applies_to(module) for module in modules), f"no module under the rule: {rule.text}"


MAX_MODULE_LINES = 350


def test_modules_stay_small() -> None:
    """Small modules named for what they hold: past this, a module holds two things."""
    large = {
        module: lines
        for module, path in api_modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not large, f"modules over {MAX_MODULE_LINES} lines: {large}"


def test_import_rules_of_the_layout() -> None:
    broken = []
    for module, path in api_modules().items():
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(API.parent))
        broken += violations(module, source, is_package=path.name == "__init__.py", where=where)
    print("\n".join(broken))
    assert not broken, "import rules broken:\n" + "\n".join(broken)


def test_the_adapter_and_embedded_cognito_really_use_aws_libraries() -> None:
    # Keeps the boto3/moto exemption honest: if these stop importing them, the rule needs a look.
    modules = api_modules()
    calls = {i.target for i in imports_of("api.cognito.calls", modules["api.cognito.calls"].read_text())}
    assert any(within(t, "boto3") for t in calls)
    embedded = set()
    for module, path in modules.items():
        if within(module, "api.cognito.embedded"):
            embedded |= {i.target for i in imports_of(module, path.read_text(), is_package=path.name == "__init__.py")}
    assert any(within(t, "moto") for t in embedded)


# ------------------------------------------------------------------ the checker catches what it should


@pytest.mark.parametrize(
    ("module", "source", "rules"),
    [
        ("api.policy.engine", "import boto3\n", ["api.policy imports only", "only api/cognito/calls.py"]),
        ("api.policy.rules", "from moto.core import mock_aws\n", ["api.policy imports only", "only api/cognito"]),
        ("api.policy.model", "import requests\n", ["api.policy imports only"]),
        ("api.policy.engine", "from api.registration import admin\n", ["api.policy imports only"]),
        ("api.policy.engine", "from .. import app\n", ["api.policy imports only", "nothing imports api.app"]),
        ("api.cognito.port", "import pydantic\n", ["api.cognito.port imports only"]),
        (
            "api.cognito.port",
            "from api.policy import Policy\n",
            ["api.cognito.port imports only", "only api.cognito.pool_config knows policies"],
        ),
        ("api.schema.types", "from api.cognito.port import Tokens\n", ["api.schema imports only"]),
        (
            "api.schema.types",
            "from ..cognito import adapter\n",
            ["api.schema imports only", "only api.backends imports api.cognito.adapter"],
        ),
        ("api.schema", "from api.policy import ViolationCode\n", ["api.schema imports only"]),
        ("api.schema.view", "import botocore.exceptions\n", ["only api/cognito", "api.schema imports only"]),
        ("api.registration.self_service", "import strawberry\n", ["api.registration never"]),
        (
            "api.registration.admin.registrations",
            "from api.registration.self_service.sign_up import SignUps\n",
            ["admin family never imports"],
        ),
        (
            "api.registration.self_service.sign_in",
            "from api.registration import admin\n",
            ["self-service family never"],
        ),
        (
            "api.registration.tenancy",
            "from api.registration.admin.registrations import explain\n",
            ["shared registration"],
        ),
        (
            "api.registration.failures",
            "from api.registration.tenancy import Target\n",
            ["api.registration.failures imports only"],
        ),
        ("api.registration.forms", "from api.schema import types\n", ["api.registration never"]),
        ("api.registration.forms", "from api import app\n", ["api.registration never", "nothing imports api.app"]),
        (
            "api.registration.forms",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import moto\n",
            ["only api/cognito", "api.registration never"],
        ),
        (
            "api.registration.admin",
            "def f():\n    import importlib\n    return importlib.import_module('boto3')\n",
            ["only api/cognito", "api.registration never"],
        ),
        ("api.settings", "import api.app\n", ["nothing imports api.app"]),
        (
            "api.cognito.embedded.sign_up",
            "from api.app import create_app\n",
            ["nothing imports api.app", "api.cognito never imports"],
        ),
        (
            "api.registration.self_service",
            "from api.cognito.adapter import CognitoAdapter\n",
            ["only through api.cognito.port", "only api.backends imports api.cognito.adapter"],
        ),
        ("api.registration.limits", "from api.cognito import embedded\n", ["only through api.cognito.port"]),
        ("api.cognito.embedded", "from api.policy.model import Policy\n", ["only api.cognito.pool_config knows"]),
        (
            "api.cognito.embedded.sign_up",
            "from moto.cognitoidp.models import CognitoIdpUser\n",
            ["in api.cognito.embedded only moto_internals touches moto"],
        ),
        ("api.cognito.embedded", "import moto.cognitoidp\n", ["in api.cognito.embedded only moto_internals"]),
        ("api.cognito.adapter", "from api.registration import ErrorCode\n", ["api.cognito never imports"]),
        (
            "api.cognito.adapter",
            "from api.backends import Backend\n",
            ["api.cognito never imports", "only api.app and api.cli import api.backends"],
        ),
        ("api.cognito.pool_config", "import boto3\n", ["api.cognito.pool_config imports only", "only api/cognito"]),
        (
            "api.cognito.pool_config",
            "from api.registration import forms\n",
            ["api.cognito.pool_config imports only", "api.cognito never imports"],
        ),
        (
            "api.cognito.errors",
            "from botocore.exceptions import ClientError\n",
            ["api.cognito.errors imports only", "only api/cognito/calls.py"],
        ),
        (
            "api.cli",
            "from api.cognito.adapter import create_client\n",
            ["only api.backends imports api.cognito.adapter"],
        ),
        ("api.reload", "from api.backends import build\n", ["only api.app and api.cli import api.backends"]),
        ("api.policy.rules", "from api.cognito.pool_config import PASSWORD_FLAGS\n", ["api.policy imports only"]),
        ("api.events.delivery", "from api.registration import failures\n", ["api.events imports only"]),
        ("api.events.queue", "import starlette.requests\n", ["api.events imports only"]),
        ("api.events.transport", "import boto3\n", ["api.events imports only", "only api/cognito/calls.py"]),
        ("api.pages.logo", "from api.events.transport import Transport\n", ["api.pages imports only"]),
        ("api.pages.routes", "from api.registration import ErrorCode\n", ["api.pages imports only"]),
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
        ("api.cognito.calls", "import boto3\nfrom botocore.config import Config\n"),
        ("api.cognito.embedded.moto_internals", "from moto.cognitoidp.models import CognitoIdpBackend\n"),
        ("api.cognito.embedded", "from . import handlers\nfrom api.cognito.adapter import create_client\n"),
        ("api.cognito.embedded", "from moto import mock_aws\n"),
        ("api.cognito.embedded.passwords", "from api.policy.rules import PASSWORD_SYMBOLS\n"),
        ("api.cognito.embedded.delivery", "from api.policy.model import TENANT_ATTRIBUTE\n"),
        ("api.policy.loader", "import yaml\nfrom pydantic import BaseModel\nfrom .model import Policy\n"),
        ("api.schema.view", "from starlette.requests import Request\nfrom api.registration import Caller\n"),
        ("api.cli", "from api.app import create_app\nfrom api import backends\n"),
        ("api.app", "from api import backends\nfrom api.pools import ConfigurationError\n"),
        ("api.backends", "from api.cognito.adapter import CognitoAdapter\nfrom api.pools import ConfiguredPools\n"),
        ("api.pools", "from api.cognito.pool_config import pool_parameters\n"),
        ("api.cognito.pool_config", "from api.policy.checks import Problem\nfrom api.policy.model import Policy\n"),
        ("api.cognito.errors", "from collections.abc import Mapping\nfrom api.cognito.port import ProviderError\n"),
        ("api.registration.admin", "from api.cognito.port import Tokens\nfrom api.policy import evaluate\n"),
        ("api.registration.self_service.sign_up", "from api.registration.tenancy import Tenancy\n"),
        ("api.registration.self_service.sign_in", "from api.registration.self_service.sign_up import SignUps\n"),
        ("api.registration", "from api.registration.admin.registrations import AdminRegistrations\n"),
        (
            "api.pages.logo",
            "import httpx\nfrom api.events.ssrf import Guard\nfrom api.policy import TenantPolicy\n"
            "from starlette.responses import Response\n",
        ),
        (
            "api.events.transport",
            "import httpx\nfrom redis.asyncio import Redis\nfrom standardwebhooks import Webhook\n"
            "from api.settings import Settings\nfrom api.clock import Clock\nfrom api.observability import metrics\n",
        ),
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


# ------------------------------------------------------------------ tests/ itself

TESTS_RULE = "in tests/, the only part of tests a module imports is tests.helpers (no conftest, no test module)"


def suite_layout_violations(module: str, source: str, *, is_package: bool = False, where: str = "") -> list[str]:
    """What breaks TESTS_RULE in one module of tests/ (a test module, a conftest or a helper)."""
    where = where or module
    broken = []
    for imp in imports_of(module, source, is_package=is_package):
        top = imp.target.partition(".")[0]
        inside = within(imp.target, "tests") or top == "conftest" or top.startswith("test_")
        if inside and not within(imp.target, "tests.helpers"):
            broken.append(f"{where}:{imp.line}: {module} imports {imp.target} -- breaks the rule: {TESTS_RULE}")
    return broken


def fixture_or_hook(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    def is_fixture(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Attribute) and target.attr == "fixture"

    return node.name.startswith("pytest_") or any(is_fixture(d) for d in node.decorator_list)


def conftest_violations(source: str, where: str = "conftest.py") -> list[str]:
    """What in a conftest.py is neither a fixture nor a hook: its functions and classes belong in tests.helpers."""
    broken = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) or (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not fixture_or_hook(node)
        ):
            broken.append(
                f"{where}:{node.lineno}: {node.name} is neither a fixture nor a hook: move it to tests.helpers"
            )
    return broken


def suite_modules() -> dict[str, Path]:
    return {module_name(path, TESTS): path for path in sorted(TESTS.rglob("*.py"))}


def test_the_tests_checker_sees_every_test_module() -> None:
    modules = suite_modules()
    test_files = {path for path in modules.values() if path.name.startswith("test_")}
    assert test_files == set(TESTS.rglob("test_*.py"))
    assert {
        "tests.conftest",
        "tests.cognito.conformance.conftest",
        "tests.helpers",
        "tests.helpers.client",
        "tests.registration.test_signup_flow",
        "tests.cognito.conformance.test_sign_up",
        "tests.schema.test_codes_reached",
        "tests.test_architecture",
    } <= set(modules)


def test_test_modules_import_only_the_helpers_from_tests() -> None:
    broken = []
    for module, path in suite_modules().items():
        where = str(path.relative_to(TESTS.parent))
        is_package = path.name == "__init__.py"
        broken += suite_layout_violations(module, path.read_text(encoding="utf-8"), is_package=is_package, where=where)
    assert not broken, "\n".join(broken)


def test_conftests_hold_only_fixtures_and_hooks() -> None:
    broken = []
    for path in sorted(TESTS.rglob("conftest.py")):
        broken += conftest_violations(path.read_text(encoding="utf-8"), str(path.relative_to(TESTS.parent)))
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("tests.registration.test_approval", "from tests.conftest import Api\n"),
        ("tests.registration.test_approval", "from tests import conftest\n"),
        ("tests.registration.test_approval", "from tests.registration.test_signup_flow import sign_up\n"),
        ("tests.registration.test_approval", "from .test_signup_flow import sign_up\n"),
        ("tests.test_app", "from . import test_cli\n"),
        ("tests.cognito.conformance.test_admin", "from tests.cognito.conformance.conftest import refused\n"),
        ("tests.cognito.conformance.test_admin", "from .conftest import refused\n"),
        ("tests.schema.test_fuzz", "from tests.documents import SIGN_UP\n"),
        ("tests.schema.test_fuzz", "import tests.schema.test_contract\n"),
        ("tests.schema.test_fuzz", "def f():\n    from tests.test_cli import regapi\n"),
        ("tests.schema.test_fuzz", "import conftest\n"),
        ("tests.schema.test_fuzz", "from test_cli import regapi\n"),
        ("tests.conftest", "from tests.registration.test_signup_flow import PASSWORD\n"),
        ("tests.helpers.flows", "from tests.conftest import Api\n"),
    ],
)
def test_the_tests_checker_catches_a_forbidden_import(module: str, source: str) -> None:
    (found,) = suite_layout_violations(module, source, where="synthetic.py")
    assert found.startswith("synthetic.py:")
    assert TESTS_RULE in found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "tests.registration.test_approval",
            "from tests.helpers.client import Api\nfrom tests.helpers import ACME_KEY\n",
        ),
        ("tests.registration.test_approval", "from tests import helpers\nimport tests.helpers.flows\n"),
        ("tests.schema.test_fuzz", "from api.registration import ErrorCode\nimport pytest\nimport httpx\n"),
        ("tests.helpers.flows", "from tests.helpers.client import Api\nfrom .documents import SIGN_UP\n"),
        ("tests.conftest", "from tests.helpers.server import LiveServer\n"),
    ],
)
def test_the_tests_checker_allows_the_helpers(module: str, source: str) -> None:
    assert suite_layout_violations(module, source) == []


def test_the_conftest_checker_catches_helpers_left_in_a_conftest() -> None:
    source = (
        "import pytest\n"
        "PLAIN = True\n"
        "@pytest.fixture\ndef api(): ...\n"
        "@pytest.fixture(scope='session')\ndef server(): ...\n"
        "@pytest.hookimpl(trylast=True)\ndef pytest_collection_modifyitems(items): ...\n"
        "def pytest_configure(config): ...\n"
        "class Api: ...\n"
        "def sign_up(api): ...\n"
    )
    found = conftest_violations(source, "synthetic.py")
    assert [line.split(": ")[1].split()[0] for line in found] == ["Api", "sign_up"]
