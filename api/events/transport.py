"""One attempt's HTTP POST to a webhook, and what came of it in a few words.

Redirects are never followed (a receiver could point regapi anywhere, internal addresses included); the
answer's body is never read (the connection is closed once the status line and headers came), nor kept or
logged; every attempt has a connect and a read timeout and a total deadline, so a receiver that trickles
or hangs costs one slot for a few seconds. Proxies from the environment are ignored (the SSRF check is of
the address regapi connects to). Connections are not kept alive: each attempt connects to the address the
guard checked, with its own TLS name, and a pooled connection could carry one host's request to another.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from api.events.ssrf import AddressRefusedError, Guard, Target


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 3.0  # seconds to connect (TCP and TLS)
    read: float = 5.0  # seconds between two reads (and to write the request)
    total: float = 10.0  # the whole attempt: resolution, each address tried, the answer


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int | None  # None when no answer came
    error: str | None  # None for a 2xx; else a few words ("HTTP 500", "timeout", ...), never the body
    final: bool = False  # no retry would do better (the webhook left the policy): a dead letter at once

    @property
    def delivered(self) -> bool:
        return self.error is None


class Transport:
    def __init__(self, guard: Guard, timeouts: Timeouts | None = None) -> None:
        self._guard = guard
        self._timeouts = timeouts or Timeouts()
        self._client: httpx.AsyncClient | None = None  # opened by the first attempt, again after close()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        try:
            async with asyncio.timeout(self._timeouts.total):
                return await self._post(url, body, headers)
        except TimeoutError:
            return Answer(None, "timeout")
        except AddressRefusedError as refused:
            return Answer(None, f"refused: {refused}")

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _opened(self) -> httpx.AsyncClient:
        if self._client is None:
            # httpx logs each request's whole URL at INFO, and a webhook's query may hold the partner's token.
            for name in ("httpx", "httpcore"):
                library_log = logging.getLogger(name)
                library_log.setLevel(max(library_log.getEffectiveLevel(), logging.WARNING))
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(self._timeouts.read, connect=self._timeouts.connect),
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client

    async def _post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        targets = await self._guard.targets(url)
        for index, target in enumerate(targets):
            try:
                return await self._send(target, body, headers)
            except httpx.ConnectError as error:
                # Another address of the name may be reachable (IPv6 first on a host without a route to it);
                # a TLS failure is the receiver's, whichever address answers.
                if index == len(targets) - 1 or _cause(error, ssl.SSLError):
                    return Answer(None, _described(error))
            except httpx.HTTPError as error:
                return Answer(None, _described(error))
        raise AssertionError("unreachable: the guard returns at least one target")

    async def _send(self, target: Target, body: bytes, headers: Mapping[str, str]) -> Answer:
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        client = self._opened()
        request = client.build_request(
            "POST", target.url, content=body, headers={**headers, "host": target.host_header}, extensions=extensions
        )
        response = await client.send(request, stream=True)
        # The status says what the receiver did; its body is never read (closed unread, not kept alive).
        await response.aclose()
        code = response.status_code
        if 200 <= code < 300:
            return Answer(code, None)
        if 300 <= code < 400:
            return Answer(code, f"HTTP {code}: redirect not followed")
        return Answer(code, f"HTTP {code}")


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _described(error: httpx.HTTPError) -> str:
    """A few words for an attempt that got no answer: never the URL (its query may hold a token)."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if _cause(error, ssl.SSLError) is not None:
        return "TLS error"
    if isinstance(error, httpx.ConnectError):
        text = str(error).lower()
        refused = _cause(error, ConnectionRefusedError) is not None or "refused" in text
        return "connection refused" if refused or f"[errno {errno.ECONNREFUSED}]" in text else "connection failed"
    for kind, words in _WORDS:
        if isinstance(error, kind):
            return words
    return type(error).__name__


_WORDS: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.RemoteProtocolError, "invalid HTTP answer"),
    (httpx.ReadError, "connection lost"),
    (httpx.WriteError, "connection lost"),
)
