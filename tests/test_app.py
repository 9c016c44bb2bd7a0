"""create_app refuses configurations that would be unsafe, before serving anything."""

from __future__ import annotations

import pytest

from api.app import ConfigurationError, create_app
from api.settings import Settings
from tests.conftest import DEMO_POLICIES


def test_production_refuses_the_embedded_cognito() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_BACKEND=aws"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, session_secret=b"x" * 32))


def test_production_needs_a_session_secret() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_SESSION_SECRET"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, backend="aws"))
