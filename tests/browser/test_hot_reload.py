"""A policy edit shows on the page after hot reload, with no frontend release: the pages render their fields
from registrationForm, so a reloaded page follows the file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.app import create_app
from api.clock import ManualClock
from api.settings import Settings
from tests.helpers import DEMO_POLICIES
from tests.helpers.browser import Browser
from tests.helpers.page_flows import page_url
from tests.helpers.server import LiveServer


@pytest.fixture
def served(tmp_path: Path, page: Browser) -> Iterator[tuple[str, Path]]:
    """An app of this test's own on a copy of the demo policies, which the test edits; the page may reach it."""
    for path in DEMO_POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    app = create_app(Settings(policy_dir=tmp_path), clock=ManualClock())
    with LiveServer(app) as server:
        page.origins.add(server.url)
        yield server.url, tmp_path / "shop.yaml"


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def label(page: Browser, name: str) -> str:
    return page.text(f'label[for="field-{name}"]')


def reloaded_until(page: Browser, url: str, check: Any) -> None:
    """Reload the page until `check` holds: the watcher applies an edit within a moment of the write."""
    for _ in range(50):
        page.open(url)
        page.find("h1")
        if check():
            return
    raise AssertionError(f"the page never showed the edit: {url}")


def test_a_new_label_and_a_newly_required_attribute_show_after_reload(page: Browser, served: tuple[str, Path]) -> None:
    base, shop = served
    url = page_url(base, "shop", "sign-up", lang="en")
    page.open(url)
    before = label(page, "custom:plan")
    assert page.field("custom:plan").get_attribute("required") is None

    def change(data: dict[str, Any]) -> None:
        data.setdefault("pages", {}).setdefault("labels", {})["custom:plan"] = {"en": "Your plan", "ja": "ご契約プラン"}
        data["attributes"]["custom:plan"]["required"] = ["sign_up"]

    edit(shop, change)
    reloaded_until(page, url, lambda: "Your plan" in label(page, "custom:plan"))
    assert before != label(page, "custom:plan")
    assert page.field("custom:plan").get_attribute("required") is not None
    page.open(page_url(base, "shop", "sign-up", lang="ja"))
    assert "ご契約プラン" in label(page, "custom:plan")
