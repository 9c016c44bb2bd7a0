"""The codes the API returned during the run, for the guard in tests/schema/test_codes_reached.py.

`Api.gql` (and the few tests that post to an app of their own) hand every response body to `record`,
which adds each code found in it to `RETURNED`: the `code` of every result object under `data`
(RegistrationError and PolicyDenied, and each of a PolicyDenied's violations) and the `extensions.code`
of every top-level error. The guard runs after every other test and judges whole runs only;
`partial_run_reasons` says why a run is not one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

RETURNED: set[str] = set()
_watchers: list[set[str]] = []

# Set by the root conftest once the items are collected: why this run is not a whole one (empty if it is).
PARTIAL_RUN = pytest.StashKey[list[str]]()
DESELECTED = pytest.StashKey[int]()  # how many items -k, -m, --deselect or a plugin dropped
# The marker of the test that must run after every other one (the root conftest moves it last).
AFTER_ALL_OTHERS = "after_all_others"


def codes_in(body: Any) -> set[str]:
    """Every code a GraphQL response body carries, in its data and in its top-level errors."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            code = value.get("code")
            if isinstance(code, str):
                found.add(code)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if not isinstance(body, dict):
        return found
    walk(body.get("data"))
    for error in body.get("errors") or []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if isinstance(code, str):
            found.add(code)
    return found


def record(body: Any) -> Any:
    """Note the codes of a response body the API returned; returns the body."""
    found = codes_in(body)
    RETURNED.update(found)
    for watcher in _watchers:
        watcher.update(found)
    return body


@contextmanager
def watching() -> Iterator[set[str]]:
    """The codes recorded while the block runs (they go to RETURNED as well)."""
    seen: set[str] = set()
    _watchers.append(seen)
    try:
        yield seen
    finally:
        _watchers.remove(seen)


@dataclass(frozen=True)
class Run:
    """What decides whether a run is whole, as the root conftest reads it from pytest's config."""

    tests: Path  # the tests/ directory
    invocation_dir: Path  # where pytest was started: the args are relative to it
    args: Sequence[str]  # the paths and node ids asked for (pytest's config.args)
    from_testpaths: bool  # no path given: pytest used the `testpaths` setting
    keyword: str = ""  # -k
    markexpr: str = ""  # -m
    deselected: int = 0  # items dropped by -k, -m, --deselect or a plugin
    last_failed: bool = False  # --lf / --ff / --sw and friends
    workers: bool = False  # a pytest-xdist worker sees only its share of the run
    missing_modules: Sequence[str] = ()  # test modules under tests/ none of whose tests is in this run


def partial_run_reasons(run: Run) -> list[str]:
    """Why the run is not the whole suite; empty when it is."""
    reasons: list[str] = []
    if not run.from_testpaths:
        covering = [arg for arg in run.args if "::" not in arg and _covers(run.invocation_dir / arg, run.tests)]
        if not covering:
            reasons.append(f"only part of tests/ was asked for: {' '.join(run.args)}")
    if run.keyword:
        reasons.append(f"-k {run.keyword!r}")
    if run.markexpr:
        reasons.append(f"-m {run.markexpr!r}")
    if run.deselected:
        reasons.append(f"{run.deselected} test(s) deselected")
    if run.last_failed:
        reasons.append("a last-failed or stepwise selection")
    if run.workers:
        reasons.append("the run is split across pytest-xdist workers")
    if run.missing_modules:
        shown = ", ".join(run.missing_modules[:3]) + (", ..." if len(run.missing_modules) > 3 else "")
        reasons.append(f"{len(run.missing_modules)} test module(s) with no test in this run ({shown})")
    return reasons


def _covers(path: Path, tests: Path) -> bool:
    """`path` is tests/ or a directory above it, so collecting it collects the whole of tests/."""
    resolved = path.resolve()
    return resolved == tests or tests.is_relative_to(resolved)
