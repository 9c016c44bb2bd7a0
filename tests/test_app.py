"""create_app refuses configurations that would be unsafe, before serving anything."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_tenants_may_not_share_a_pool_yet(tmp_path: Path) -> None:
    shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / "shop.yaml")
    text = (DEMO_POLICIES / "acme.yaml").read_text(encoding="utf-8").replace("user_pool: acme", "user_pool: shop")
    (tmp_path / "acme.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="shop"):
        create_app(Settings(policy_dir=tmp_path))
