"""What the tests share, and the only part of tests/ a test module may import (tests/test_architecture.py).

- `client`: the `Api` GraphQL client and the Cognito behind it (outbox, clock);
- `server`: uvicorn on a loopback port, and pools provisioned on a remote Cognito endpoint;
- `documents`: the GraphQL documents, written as a frontend would write them;
- `flows`: the steps of the flows (sign up, confirm, resend, sign in, answer the challenge);
- `recorder`: the codes the API returned during the run, and whether the run was a whole one;
- `conformance`: the pools and calls of the Cognito conformance suite (tests/cognito/conformance);
- `raw_http`: HTTP written by hand on a socket (bytes no library sends, bodies cut short, slow clients);
- `logs`: the lines above INFO logged while a block runs, uvicorn's included.

Fixtures and hooks live in the conftest.py files, which import from here.
"""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
DEMO_POLICIES = ROOT / "policies"
TEST_POLICIES = TESTS / "fixtures" / "policies"

# The test client is the trusted proxy in front of the API, so X-Forwarded-For names the caller.
TRUSTED = ("127.0.0.1",)
ACME_KEY = "acme-hr-demo-key"
SHOP_KEY = "shop-backoffice-demo-key"


def keep_away_from_aws() -> None:
    """Every AWS call of the suite goes to the embedded Cognito or a `regapi cognito serve` process; boto3
    still wants credentials to sign with, and must never find real ones."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", ""),
    ):
        os.environ[name] = value
    os.environ.pop("AWS_PROFILE", None)
