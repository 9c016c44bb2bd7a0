"""Every ErrorCode and ViolationCode is returned by the API to some test during the run.

A guard against a new code that only a unit test, or no test, ever produces. The API's answers are
recorded as they arrive (tests.helpers.recorder: `Api.gql` and the tests that post to an app of their
own record every body); the guard runs after every other test (the root conftest moves it last) and
judges whole runs only: a partial run skips it, saying why.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from api.policy import ViolationCode
from api.registration import ErrorCode
from tests.helpers import TESTS
from tests.helpers.client import Api
from tests.helpers.flows import confirm
from tests.helpers.recorder import AFTER_ALL_OTHERS, PARTIAL_RUN, RETURNED, Run, codes_in, partial_run_reasons, watching


@pytest.mark.after_all_others
def test_every_code_is_returned_through_the_api(request: pytest.FixtureRequest) -> None:
    reasons = request.config.stash.get(PARTIAL_RUN, ["the run was not assessed"])
    if reasons:
        pytest.skip(f"judges whole runs only; this one is partial: {'; '.join(reasons)}")
    missing = [code.value for code in [*ErrorCode, *ViolationCode] if code.value not in RETURNED]
    failed = request.session.testsfailed
    because = f" ({failed} test(s) failed before this one, which may be why)" if failed else ""
    assert not missing, f"codes the API never returned during the run{because}: {missing}"


def test_the_guard_runs_last(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    guards = [item for item in items if item.get_closest_marker(AFTER_ALL_OTHERS)]
    if not guards:
        pytest.skip("the guard is not part of this run")
    assert [item.name for item in guards] == ["test_every_code_is_returned_through_the_api"]
    assert items[-1] is guards[0]


def test_the_recorder_reads_results_violations_and_top_level_errors() -> None:
    body = {
        "data": {
            "signUp": {
                "__typename": "PolicyDenied",
                "code": "POLICY_VIOLATION",
                "violations": [{"code": "TOO_LONG", "attribute": "name"}, {"code": "PASSWORD_TOO_SHORT"}],
            },
            "confirm": {"__typename": "RegistrationError", "code": "CODE_MISMATCH", "field": "code"},
            "resend": {"codeDelivery": {"medium": "EMAIL", "destination": "a***@s***"}},
            "nothing": None,
        },
        "errors": [
            {"message": "No such tenant.", "extensions": {"code": "TENANT_NOT_FOUND"}},
            {"message": "Syntax Error"},
            {"message": "odd", "extensions": None},
        ],
    }
    assert codes_in(body) == {"POLICY_VIOLATION", "TOO_LONG", "PASSWORD_TOO_SHORT", "CODE_MISMATCH", "TENANT_NOT_FOUND"}
    assert codes_in({"data": None, "errors": [{"message": "Syntax Error"}]}) == set()
    assert codes_in(["not", "a", "body"]) == set()


def test_api_gql_records_what_the_api_returns(embedded_api: Api, unique: str) -> None:
    with watching() as seen:
        confirm(embedded_api, f"ghost-{unique}@shop.example", "123456")
        embedded_api.gql('{ registrationForm(tenant: "nope", operation: SIGN_UP) { enabled } }')
    assert seen == {"CODE_MISMATCH", "TENANT_NOT_FOUND"}
    assert seen <= RETURNED


WHOLE = Run(tests=TESTS, invocation_dir=TESTS.parent, args=["tests"], from_testpaths=True)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"from_testpaths": False, "args": ["tests/registration"]}, "only part of tests/"),
        ({"from_testpaths": False, "args": ["tests/schema/test_codes_reached.py"]}, "only part of tests/"),
        ({"from_testpaths": False, "args": ["tests/test_app.py::test_health"]}, "only part of tests/"),
        ({"keyword": "sign_up"}, "-k 'sign_up'"),
        ({"markexpr": "not slow"}, "-m 'not slow'"),
        ({"deselected": 3}, "3 test(s) deselected"),
        ({"last_failed": True}, "last-failed"),
        ({"workers": True}, "xdist"),
        ({"missing_modules": ["tests/test_cli.py"]}, "1 test module(s) with no test in this run (tests/test_cli.py)"),
    ],
    ids=["directory", "module", "node-id", "k", "m", "deselected", "lf", "xdist", "ignored-module"],
)
def test_a_partial_run_is_told_apart(changes: dict[str, object], reason: str) -> None:
    run = replace(WHOLE, **changes)  # type: ignore[arg-type]
    reasons = partial_run_reasons(run)
    assert len(reasons) == 1, reasons
    assert reason in reasons[0]


@pytest.mark.parametrize(
    "args",
    [["tests"], ["."], [str(TESTS)], [str(TESTS.parent)], ["tests/registration", "tests"], ["tests/"]],
    ids=["tests", "dot", "absolute-tests", "absolute-root", "a-part-and-the-whole", "trailing-slash"],
)
def test_a_whole_run_is_one(args: list[str]) -> None:
    assert partial_run_reasons(WHOLE) == []
    assert partial_run_reasons(replace(WHOLE, from_testpaths=False, args=args)) == []


def test_paths_are_read_from_where_pytest_started() -> None:
    inside = replace(WHOLE, from_testpaths=False, invocation_dir=TESTS, args=["."])
    assert partial_run_reasons(inside) == []
    below = replace(WHOLE, from_testpaths=False, invocation_dir=TESTS / "schema", args=["."])
    assert partial_run_reasons(below)
    elsewhere = replace(WHOLE, from_testpaths=False, invocation_dir=Path("/"), args=["tests"])
    assert partial_run_reasons(elsewhere)
