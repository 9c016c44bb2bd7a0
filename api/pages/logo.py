"""The tenant's logo, served by regapi at /t/<tenant>/logo: the browser asks no other host for it.

regapi fetches `pages.logo_url` itself: a GET without redirects, within a few seconds, of at most
MAX_BYTES (streamed, stopped past it), whose answer is a 200 with one of the image types in TYPES; anything
else is no logo (the page shows the name alone). The fetch goes through the webhook deliverer's SSRF guard
(api.events.ssrf): in production the URL must be https and its host must resolve to public addresses only,
and the connection goes to the address that was checked; in development anything goes, pinned the same way.

A logo is kept in memory per tenant, for its policy revision and logo_url (an edit fetches it again); a
fetch that failed is kept for RETRY_AFTER seconds, so a broken logo does not cost every page view a fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from api.events.ssrf import AddressRefusedError, Guard, Resolver, Target, system_resolve
from api.policy import TenantPolicy

log = logging.getLogger("regapi.pages")

TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
MAX_BYTES = 256 * 1024
TIMEOUT = 5.0  # seconds for the whole fetch: resolution, connection, the answer
RETRY_AFTER = 60.0  # seconds a failed fetch is remembered

# The logo's own headers: an SVG opened directly (not as an <img>) must run no script and load nothing.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "public, max-age=300",
}


class NoLogoError(Exception):
    """Why the logo could not be fetched, in a few words (never its body)."""


@dataclass(frozen=True, slots=True)
class Logo:
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class _Entry:
    revision: str
    url: str
    logo: Logo | None
    at: float


class Logos:
    """The logos of the tenants, fetched on first use and kept."""

    def __init__(
        self,
        *,
        production: bool,
        resolve: Resolver = system_resolve,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._guard = Guard(refuse_internal=production, resolve=resolve)
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def logo(self, tenant: TenantPolicy) -> Logo | None:
        url = tenant.policy.pages.logo_url
        if url is None:
            return None
        kept = self._fresh(tenant, url)
        if kept is not None:
            return kept.logo
        # One fetch per tenant at a time: the page views that wait for it get its result.
        async with self._locks.setdefault(tenant.tenant, asyncio.Lock()):
            kept = self._fresh(tenant, url)
            if kept is not None:
                return kept.logo
            try:
                logo: Logo | None = await self._fetch(url)
            except NoLogoError as error:
                log.warning("tenant %r: pages.logo_url not served: %s (%s)", tenant.tenant, error, tenant.path)
                logo = None
            self._cache[tenant.tenant] = _Entry(tenant.revision, url, logo, self._clock())
            return logo

    def _fresh(self, tenant: TenantPolicy, url: str) -> _Entry | None:
        entry = self._cache.get(tenant.tenant)
        if entry is None or (entry.revision, entry.url) != (tenant.revision, url):
            return None
        if entry.logo is None and self._clock() - entry.at >= RETRY_AFTER:
            return None
        return entry

    async def _fetch(self, url: str) -> Logo:
        try:
            async with asyncio.timeout(TIMEOUT):
                targets = await self._guard.targets(url)
                async with httpx.AsyncClient(
                    follow_redirects=False,
                    trust_env=False,  # the guard checked the address regapi connects to, not a proxy's
                    timeout=httpx.Timeout(TIMEOUT),
                    limits=httpx.Limits(max_keepalive_connections=0),
                ) as client:
                    for index, target in enumerate(targets):
                        try:
                            return await _get(client, target)
                        except httpx.ConnectError:
                            if index == len(targets) - 1:
                                raise
        except AddressRefusedError as refused:
            raise NoLogoError(f"refused: {refused}") from None
        except TimeoutError:
            raise NoLogoError("timeout") from None
        except httpx.HTTPError as error:
            raise NoLogoError(type(error).__name__) from None
        raise AssertionError("unreachable: the guard returns at least one target")


async def _get(client: httpx.AsyncClient, target: Target) -> Logo:
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    # identity: the size read is the size on the wire, never a small gzip that inflates.
    headers = {"host": target.host_header, "accept": ", ".join(sorted(TYPES)), "accept-encoding": "identity"}
    async with client.stream("GET", target.url, headers=headers, extensions=extensions) as response:
        if response.status_code != 200:
            raise NoLogoError(f"HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if content_type not in TYPES:
            raise NoLogoError(f"not an image type regapi serves: {content_type or 'none'}")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BYTES:
            raise NoLogoError(f"larger than {MAX_BYTES} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BYTES:
                raise NoLogoError(f"larger than {MAX_BYTES} bytes")
    return Logo(bytes(body), content_type)
