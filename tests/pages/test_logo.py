"""The tenant's logo, fetched by regapi from `pages.logo_url` and served at /t/<tenant>/logo: the page's
<img> points there and its CSP names no other origin. A loopback logo server (counting its requests)
stands in for the tenant's host: a PNG and an SVG are served; a wrong type, an oversized answer (with and
without a Content-Length), a 500 and a redirect are no logo; a logo is fetched once; in production an
internal address or an http URL is never asked."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from api.app import create_app
from api.pages import HostedPages
from api.pages.logo import MAX_BYTES, RETRY_AFTER, Logos
from api.policy import TenantPolicy, load_directory
from api.settings import Settings
from tests.helpers.server import LiveServer


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>'
CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class LogoServer:
    """A tenant's web server on loopback: each path answers one way, and every request is counted."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                server.counts[path] += 1
                if path in {"/logo.png", "/counted.png", "/prod.png", "/target.png"}:
                    self._answer(200, "image/png", PNG)
                elif path == "/logo.svg":
                    self._answer(200, "image/svg+xml; charset=utf-8", SVG)
                elif path == "/wrong":
                    self._answer(200, "text/html", b"<p>not an image</p>")
                elif path == "/big":
                    self._answer(200, "image/png", b"\0" * (MAX_BYTES + 1))
                elif path == "/stream":  # no Content-Length: read until the server closes, stopped past the limit
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    for _ in range(8):
                        self.wfile.write(b"\0" * (64 * 1024))
                elif path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/target.png")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._answer(500, "text/plain", b"broken")

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # regapi stopped reading
                    self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> LogoServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def policy(pool: str, logo_url: str | None) -> dict[str, object]:
    return {
        "version": 1,
        "display_name": "Logo Co",
        "cognito": {"user_pool": pool},
        "registration": {"self_signup": True},
        "username": {"kind": "email"},
        "attributes": {"name": {"required": ["sign_up"]}},
        **({"pages": {"logo_url": logo_url}} if logo_url else {}),
    }


def write(directory: Path, logos: Mapping[str, str | None]) -> Path:
    for tenant, url in logos.items():
        (directory / f"{tenant}.yaml").write_text(yaml.safe_dump(policy(tenant, url)), encoding="utf-8")
    return directory


NO_LOGO = {"wrong": "/wrong", "big": "/big", "stream": "/stream", "error": "/error", "redirect": "/redirect"}


@pytest.fixture(scope="module")
def logo_server() -> Iterator[LogoServer]:
    with LogoServer() as server:
        yield server


@pytest.fixture(scope="module")
def http(logo_server: LogoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    paths = {"png": "/logo.png", "svg": "/logo.svg", "counted": "/counted.png", **NO_LOGO}
    logos: dict[str, str | None] = {tenant: logo_server.url(path) for tenant, path in paths.items()}
    directory = write(tmp_path_factory.mktemp("logo-policies"), {**logos, "plain": None})
    app = create_app(Settings(policy_dir=directory, reload=False))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("tenant", ["png", "svg"])
def test_the_page_shows_regapis_logo_and_names_no_other_origin(
    http: httpx.Client, logo_server: LogoServer, tenant: str
) -> None:
    response = http.get(f"/t/{tenant}/sign-up")
    assert f'<img class="logo" src="/t/{tenant}/logo" alt="">' in response.text
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' data:;" in csp
    assert str(logo_server.port) not in csp
    assert str(logo_server.port) not in response.text
    assert csp == http.get("/t/plain/sign-up").headers["content-security-policy"]


@pytest.mark.parametrize(("tenant", "body", "content_type"), [("png", PNG, "image/png"), ("svg", SVG, "image/svg+xml")])
def test_the_logo_is_served_with_its_type_and_headers(
    http: httpx.Client, tenant: str, body: bytes, content_type: str
) -> None:
    response = http.get(f"/t/{tenant}/logo")
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CSP  # an SVG opened directly runs no script
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("tenant", [*NO_LOGO, "plain", "nobody"])
def test_what_is_not_a_served_image_is_no_logo(http: httpx.Client, logo_server: LogoServer, tenant: str) -> None:
    assert http.get(f"/t/{tenant}/logo").status_code == 404
    if tenant != "nobody":
        page = http.get(f"/t/{tenant}/sign-up")
        assert page.status_code == 200
        assert "<img" not in page.text  # never an image that answers 404
    if tenant in NO_LOGO:
        assert logo_server.counts[NO_LOGO[tenant]] == 1  # asked once, the failure kept
    assert logo_server.counts["/target.png"] == 0  # the redirect is not followed


def test_a_logo_is_fetched_once(http: httpx.Client, logo_server: LogoServer) -> None:
    for _ in range(2):
        assert '<img class="logo"' in http.get("/t/counted/sign-in").text
        assert http.get("/t/counted/logo").content == PNG
    assert logo_server.counts["/counted.png"] == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_edit_or_a_minute_after_a_failure_fetches_again(logo_server: LogoServer, tmp_path: Path) -> None:
    (tmp_path / "moved").mkdir()
    tenants = load_directory(write(tmp_path, {"again": logo_server.url("/again.png")}))
    clock = Clock()
    logos = Logos(production=False, clock=clock)
    tenant = tenants["again"]

    def fetched(policy: TenantPolicy) -> bool:
        return asyncio.run(logos.logo(policy)) is not None

    assert not fetched(tenant)  # the server answers 500 for this path
    clock.now += RETRY_AFTER - 1
    assert not fetched(tenant)
    assert logo_server.counts["/again.png"] == 1
    clock.now += 1
    assert not fetched(tenant)
    assert logo_server.counts["/again.png"] == 2
    assert not fetched(dataclasses.replace(tenant, revision="edited"))  # a new revision: fetched again
    assert logo_server.counts["/again.png"] == 3
    moved = load_directory(write(tmp_path / "moved", {"again": logo_server.url("/logo.png")}))["again"]
    before = logo_server.counts["/logo.png"]
    assert fetched(moved)  # another logo_url: fetched,
    assert fetched(moved)  # then kept
    assert logo_server.counts["/logo.png"] == before + 1


class Resolver:
    """A DNS that answers one address for every name, and keeps the names asked."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return [self.address]


def test_production_never_asks_an_internal_address_or_over_http(logo_server: LogoServer, tmp_path: Path) -> None:
    logos = {
        "named": logo_server.url("/prod.png", "https", "logo.example"),  # a public-looking name, on loopback
        "literal": logo_server.url("/prod.png", "https"),
        "clear": logo_server.url("/prod.png"),  # http: refused before any lookup
    }
    tenants = load_directory(write(tmp_path, logos))
    resolver = Resolver("127.0.0.1")
    pages = HostedPages(tenants, production=True, graphiql=False, resolve=resolver)
    with LiveServer(Starlette(routes=pages.routes())) as server, httpx.Client(base_url=server.url) as client:
        for tenant in logos:
            assert client.get(f"/t/{tenant}/logo").status_code == 404
            assert "<img" not in client.get(f"/t/{tenant}/sign-up").text
    assert logo_server.counts["/prod.png"] == 0
    assert resolver.lookups == ["logo.example"]  # once: the refusal is kept
