"""No page asks any host but regapi's: every URL a page or its files load is regapi's own, and GraphiQL's
files, which strawberry's page loads from a CDN, are served by regapi in development (the CDN's files,
vendored unchanged: the page's own integrity attributes are checked here against what regapi serves)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from api.pages import HostedPages
from api.pages.assets import STATIC_DIR
from api.pages.shell import PAGES
from api.policy import load_directory
from tests.helpers import DEMO_POLICIES
from tests.helpers.client import Api
from tests.helpers.server import LiveServer

# What loads something in HTML: src=, href= (stylesheets, icons; an <a>'s href is a link the person may
# follow, not a request of the page); in CSS: url() and @import; in JavaScript: fetch() and import.
LOADED = re.compile(r'<(?!a\b)[a-z]+\b[^>]*?\b(?:src|href)="([^"]*)"')
LINK = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"')
ABSOLUTE = re.compile(r"(?:https?:)?//[^\s\"')]+")
# The one absolute URL in the files: an XML namespace, a name, never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}


def static_files() -> list[Path]:
    return sorted(path for path in STATIC_DIR.rglob("*") if path.is_file())


@pytest.mark.parametrize("tenant", ["acme", "shop", "coop"])
@pytest.mark.parametrize("name", PAGES)
def test_a_page_loads_only_regapis_own_files(embedded_api: Api, tenant: str, name: str) -> None:
    for language in ("en", "ja"):
        html = embedded_api.http.get(f"/t/{tenant}/{name}?lang={language}").text
        loaded = LOADED.findall(html)
        assert loaded, "the pattern finds nothing: it no longer matches the page"
        assert [url for url in loaded if not url.startswith("/") or url.startswith("//")] == []
        for url in loaded:
            assert embedded_api.http.get(url).status_code == 200, url
        # The only link off the site is the way back to the tenant's app, on the done page.
        offsite = [url for url in LINK.findall(html) if not url.startswith("/")]
        return_url = {"shop": "https://shop.example/account", "acme": "https://hr.acme.example/"}.get(tenant)
        assert offsite == ([return_url] if name == "done" and return_url else [])


def test_the_static_files_name_no_other_host(embedded_api: Api) -> None:
    files = static_files()
    assert {path.suffix for path in files} == {".js", ".css", ".svg"}
    for path in files:
        served = embedded_api.http.get(f"/pages/static/{path.relative_to(STATIC_DIR).as_posix()}")
        assert served.status_code == 200
        assert set(ABSOLUTE.findall(served.text)) <= NAMESPACES, path.name
        assert "@import" not in served.text
        # Every module a script imports, and every URL it fetches, is a relative path of this origin.
        assert re.findall(r"""from\s+['"](?!\./)""", served.text) == [], path.name
        assert re.findall(r"""fetch\(\s*(?!['"]/)""", served.text) == [], path.name


def test_the_checks_above_catch_an_outside_url() -> None:
    assert LOADED.findall('<link rel="stylesheet" href="https://cdn.example/x.css"><a href="https://x">') == [
        "https://cdn.example/x.css"
    ]
    assert ABSOLUTE.findall("@font-face { src: url(//fonts.example/a.woff2) }") == ["//fonts.example/a.woff2"]


def graphiql_page(embedded_api: Api) -> str:
    response = embedded_api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "GraphiQL" in response.text
    return response.text


def test_graphiql_loads_its_files_from_regapi(embedded_api: Api) -> None:
    html = graphiql_page(embedded_api)
    assert "unpkg.com" not in html
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assets = [tag for tag in tags if "integrity=" in tag]
    assert len(assets) == 7  # react, react-dom, js-cookie, graphiql's script and style, the explorer's two
    for tag in assets:
        (url,) = re.findall(r'(?:src|href)="([^"]+)"', tag)
        (integrity,) = re.findall(r'integrity="sha384-([^"]+)"', tag)
        assert url.startswith("/pages/static/graphiql/"), url
        served = embedded_api.http.get(url)
        assert served.status_code == 200, f"{url}: vendor the file strawberry's GraphiQL page now names"
        assert base64.b64encode(hashlib.sha384(served.content).digest()).decode() == integrity, url
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"  # versioned paths


def test_production_serves_no_graphiql_files() -> None:
    """Production serves no GraphiQL (GET /graphql is refused there), so none of its files either."""
    tenants = load_directory(DEMO_POLICIES)
    app = Starlette(routes=HostedPages(tenants, production=True, graphiql=False).routes())
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/pages/static/graphiql/react@18.2.0/umd/react.production.min.js").status_code == 404
        assert http.get("/pages/static/app.js").status_code == 200
        assert http.get("/t/shop/sign-in").status_code == 200
