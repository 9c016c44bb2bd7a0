"""Fixtures of the Cognito tests: a fault-injecting proxy in front of `regapi cognito serve`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.proxy import FaultProxy


@pytest.fixture(scope="module")
def proxy(standalone_cognito: str) -> Iterator[FaultProxy]:
    """A fresh proxy per module, so one module's faults never reach another's requests."""
    with FaultProxy(standalone_cognito) as running:
        yield running
