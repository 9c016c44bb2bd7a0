"""create_app refuses configurations that would be unsafe, before serving anything; the app's health route."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import ConfigurationError, create_app
from api.settings import Settings
from tests.helpers import DEMO_POLICIES
from tests.helpers.client import Api


def test_production_refuses_the_embedded_cognito() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_BACKEND=aws"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, session_secret=b"x" * 32))


def test_production_needs_a_session_secret() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_SESSION_SECRET"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, backend="aws"))


def test_production_needs_allowed_hosts() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_ALLOWED_HOSTS"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, backend="aws", session_secret=b"x" * 32))


def test_health(embedded_api: Api, policy_dir: Path) -> None:
    tenants = len(list(policy_dir.glob("*.yaml")))
    assert tenants >= 9
    assert embedded_api.http.get("/healthz").json() == {"status": "ok", "tenants": tenants}
