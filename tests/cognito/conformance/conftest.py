"""The conformance suite's Cognito: the embedded one, or, with REGAPI_CONFORMANCE_PLAIN_MOTO=1, plain moto.

The plain mode exists to prove the suite: run in its own process (tests/cognito/test_plain_moto.py
does), every conformance test must fail there, because each checks a rule moto does not enforce, but
the few that test lists as pinning a rule moto already follows. The suite's pools and calls are in
tests/helpers/conformance.py.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from api.clock import ManualClock
from api.cognito.embedded.outbox import Outbox
from tests.helpers.conformance import Cognito

PLAIN_MOTO = os.environ.get("REGAPI_CONFORMANCE_PLAIN_MOTO") == "1"

_plain_mock: Any = None


@pytest.fixture
def cognito() -> Cognito:
    if PLAIN_MOTO:
        global _plain_mock  # noqa: PLW0603 - one mock for the plain run
        if _plain_mock is None:
            from moto import mock_aws  # noqa: PLC0415

            _plain_mock = mock_aws()
            _plain_mock.start()
        return Cognito(boto3.client("cognito-idp", region_name="us-east-1"), Outbox(console=None), ManualClock())
    from api.cognito.embedded import EmbeddedCognito  # noqa: PLC0415 - not imported in the plain run

    embedded = EmbeddedCognito(clock=ManualClock(), outbox=Outbox(console=None))
    assert isinstance(embedded.clock, ManualClock)
    return Cognito(embedded.client, embedded.outbox, embedded.clock, embedded.attach)
