"""A tenant's own `pages:` (logo, colour, names, labels, return URL), what a tenant without the section
gets, and values that must not break out of the page: served by the real app over HTTP."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from api.app import create_app
from api.pages import HostedPages
from api.pages.theme import contrast, text_on
from api.policy import load_directory
from api.settings import Settings
from tests.helpers.server import LiveServer

HOSTILE_NAME = '</script><script>alert(1)</script> & "Co"'
HOSTILE_URL = 'https://brand.example/back?to="><script>alert(2)</script>'


def policy(**extra: object) -> dict[str, object]:
    return {
        "version": 1,
        "display_name": "Brand Co",
        "cognito": {"user_pool": "brand"},
        "registration": {"self_signup": True},
        "username": {"kind": "email"},
        "attributes": {"name": {"required": ["sign_up"]}},
        **extra,
    }


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("brand-policies")
    tenants = {
        "brand": policy(
            display_name=HOSTILE_NAME,
            pages={
                "languages": ["ja"],
                "logo_url": "http://127.0.0.1:9/logo.svg",  # nothing listens there: no logo to serve
                "primary_color": "#FFEB3B",
                "return_url": HOSTILE_URL,
                "labels": {"name": {"ja": "お名前</label>"}},
            },
        ),
        "plain": policy(cognito={"user_pool": "plain"}),
        # Refused at load (a label for an attribute it does not name): not served, so no pages either.
        "broken": policy(cognito={"user_pool": "broken"}, pages={"labels": {"custom:nope": {"en": "Nope"}}}),
    }
    for name, data in tenants.items():
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def http(policies: Path) -> Iterator[httpx.Client]:
    app = create_app(Settings(policy_dir=policies, reload=False))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_a_page_names_no_other_origin_whatever_the_logo_url(http: httpx.Client) -> None:
    """regapi serves the logo itself (tests/pages/test_logo.py): the logo's host is never in the page or its
    CSP, and a logo that could not be fetched is no <img> at all."""
    response = http.get("/t/brand/sign-up")
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' data:;" in csp
    assert "127.0.0.1" not in csp
    assert "127.0.0.1" not in response.text
    assert "<img" not in response.text
    assert http.get("/t/brand/logo").status_code == 404
    plain = http.get("/t/plain/sign-up")
    assert plain.headers["content-security-policy"] == csp
    assert "<img" not in plain.text


def test_no_value_of_a_policy_can_end_the_settings_block_or_open_a_tag(http: httpx.Client) -> None:
    for name in ("sign-up", "done"):
        html = http.get(f"/t/brand/{name}").text
        assert "<script>alert" not in html
        assert html.count("</script>") == 2  # the settings block's and the module's, nothing else
        assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in html
    done = http.get("/t/brand/done").text
    assert 'href="https://brand.example/back?to=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in done
    block = re.search(r'id="page-config">(.*?)</script>', http.get("/t/brand/sign-up").text, re.DOTALL)
    assert block
    settings = json.loads(block.group(1))
    assert settings["displayName"] == HOSTILE_NAME  # escaped for HTML, intact for the SPA
    assert settings["messages"]["attribute.name"] == "お名前</label>"


def test_a_pale_colour_gets_dark_text(http: httpx.Client) -> None:
    theme = http.get("/t/brand/theme.css").text
    assert "--brand: #ffeb3b;" in theme
    assert "--on-brand: #000000;" in theme


def test_a_tenant_of_one_language_gets_it_whatever_the_browser_asks(http: httpx.Client) -> None:
    response = http.get("/t/brand/sign-in?lang=en", headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in response.text
    assert 'class="languages"' not in response.text  # nothing to switch to


def test_a_tenant_without_pages_gets_both_languages_and_the_policys_name(http: httpx.Client) -> None:
    response = http.get("/t/plain/sign-up", headers={"Accept-Language": "ja"})
    assert '<html lang="ja">' in response.text
    assert "<title>アカウントの作成 \N{EN DASH} Brand Co</title>" in response.text
    assert 'hreflang="en"' in response.text
    assert "theme.css" not in response.text
    assert http.get("/t/plain/theme.css").status_code == 404
    assert 'class="button"' not in http.get("/t/plain/done").text  # no return_url, no link


def test_a_refused_policy_has_no_pages(http: httpx.Client) -> None:
    assert http.get("/t/broken/sign-up").status_code == 404


def test_text_on_a_colour_reads_at_aa_contrast() -> None:
    for color in ("#0a5", "#b3261e", "#ffeb3b", "#1f4fd1", "#777777", "#000", "#fff"):
        assert contrast(color, text_on(color)) >= 4.5, color
    assert text_on("#0a5") == "#000000"  # white on this green is 3:1
    assert round(contrast("#000", "#fff"), 2) == 21


def test_production_warns_of_an_http_logo_or_return_url_once_per_revision(
    policies: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (policies / "plain.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["pages"] = {"return_url": "http://app.example/", "logo_url": "https://cdn.example/logo.png"}
    (tmp_path / "insecure.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    tenants = load_directory(tmp_path)

    async def resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.1"]  # internal: production refuses it, no logo

    with caplog.at_level(logging.WARNING, logger="regapi.pages"):
        HostedPages(tenants, production=False, graphiql=False)
        assert caplog.messages == []  # development: http is fine
        pages = HostedPages(tenants, production=True, graphiql=False, resolve=resolve)
        with LiveServer(Starlette(routes=pages.routes())) as server, httpx.Client(base_url=server.url) as client:
            assert client.get("/t/insecure/done").status_code == 200
            assert client.get("/t/insecure/sign-in").status_code == 200
    warned, refused = caplog.messages  # each once: at start-up, and at the first page's logo
    assert "pages.return_url is an http URL; in production use https" in warned
    assert "logo_url" not in warned
    assert "pages.logo_url not served: refused: resolves to a private address" in refused


def test_a_policy_edit_changes_the_next_page_served(tmp_path: Path) -> None:
    """Hot reload: the pages read the tenant's policy as it is at each request."""
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(policy(cognito={"user_pool": "live"})), encoding="utf-8")
    app = create_app(Settings(policy_dir=tmp_path))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        before = client.get("/t/live/sign-up?lang=en").text
        assert 'id="app"' in before
        assert "theme.css" not in before
        edited = policy(
            cognito={"user_pool": "live"},
            registration={"self_signup": False},
            pages={"primary_color": "#123", "labels": {"name": {"en": "Your name"}}},
        )
        path.write_text(yaml.safe_dump(edited), encoding="utf-8")
        deadline = time.monotonic() + 10  # the watcher reacts within a second; bounded, not timed
        while "theme.css" not in (after := client.get("/t/live/sign-up?lang=en").text):
            assert time.monotonic() < deadline, "the edit never reached the page"
            time.sleep(0.05)
        assert 'id="sign-up-disabled"' in after
        assert 'id="app"' not in after
        assert '"attribute.name":"Your name"' in after
        assert "--brand: #112233;" in client.get("/t/live/theme.css").text
