"""Server-side request forgery: where a webhook may send regapi, and the address it connects to.

A policy names a webhook's URL, and a tenant's policy is not the operator's network: in production a URL
whose host resolves to any loopback, link-local, site-local, private, unique-local, shared, unspecified, multicast or
reserved address is refused (IPv4 and IPv6, with the IPv4 address inside an IPv4-mapped, 6to4 or NAT64
IPv6 one judged too). Every resolved address is checked, not only the first, and the connection goes to a
checked address (`Target.url` names it; the Host header and TLS's SNI and certificate check keep the name):
a DNS answer that changes between the check and the connect (rebinding) cannot reach an internal address.

In production a URL that is not https is refused here too, whoever queued it (admission refuses it at load
time; a delivery queued by a development process sharing the Redis must not go out in clear either). A
port 0 is refused, and an internationalized host name travels in its IDNA form.

In development nothing is refused (receivers on loopback are how one tries webhooks), but the connection is
pinned the same way, so that one code path is the one tested. Resolution uses the event loop's getaddrinfo
(a thread), never blocking the loop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_PORTS = {"https": 443, "http": 80}
# The NAT64 well-known prefix (RFC 6052): its last 32 bits are an IPv4 address a gateway connects to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Resolved addresses tried one after the other when a connection is refused (one family unreachable).
MAX_ADDRESSES = 4


class AddressRefusedError(Exception):
    """The URL may not be reached: its message says why in a few words, without the URL's path or query."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt connects: `url` has the checked address in place of the host name."""

    url: str
    host_header: str  # the name and port as the webhook's URL gives them
    sni_hostname: str | None  # https: the name the certificate must be for
    address: str


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order, without blocking the loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def ascii_host(host: str) -> str:
    """The host as DNS, the Host header and TLS's SNI carry it: an internationalized name in its IDNA
    (punycode) form; AddressRefusedError when it has none."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefusedError("its host name is not a valid internationalized domain name") from None


def _embedded(address: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address carries to the network behind it, then the address itself (the
    inner one names the kind best: ::ffff:127.0.0.1 is a loopback address)."""
    found: list[Address] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [*found, address]


def refusal(text: str) -> str | None:
    """Why `text` (an address, perhaps with an IPv6 zone) is not a public one, or None when it is."""
    address = ipaddress.ip_address(text.partition("%")[0])
    for candidate in _embedded(address):
        for kind, applies in (
            ("loopback", candidate.is_loopback),
            ("link-local", candidate.is_link_local),
            ("unspecified", candidate.is_unspecified),
            ("multicast", candidate.is_multicast),
            ("private", candidate.is_private),
            ("site-local", isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local),  # fec0::/10
            ("reserved", candidate.is_reserved),
            ("not public", not candidate.is_global),  # shared (100.64/10) and what the tables leave out
        ):
            if applies:
                return f"resolves to a {kind} address" if kind != "not public" else "resolves to a non-public address"
    return None


class Guard:
    """The targets of a webhook's URL: checked when `refuse_internal` (production), pinned always."""

    def __init__(self, *, refuse_internal: bool, resolve: Resolver = system_resolve) -> None:
        self._refuse = refuse_internal
        self._resolve = resolve

    async def targets(self, url: str) -> list[Target]:
        """The checked addresses to try in order (at most MAX_ADDRESSES), or AddressRefusedError."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise AddressRefusedError("not an http(s) URL with a host")
        if self._refuse and parts.scheme != "https":  # a delivery queued by a development process, say
            raise AddressRefusedError("production sends over https only")
        try:
            given = parts.port
        except ValueError:
            raise AddressRefusedError("the URL's port is not a number") from None
        if given == 0:  # no server listens there: never read as "the default"
            raise AddressRefusedError("the URL's port is 0")
        port = given or DEFAULT_PORTS[parts.scheme]
        host = ascii_host(parts.hostname)
        try:
            addresses = [str(ipaddress.ip_address(host))]  # a literal: nothing to resolve
        except ValueError:
            try:
                addresses = await self._resolve(host, port)
            except OSError:
                raise AddressRefusedError("its host name did not resolve") from None
        if not addresses:
            raise AddressRefusedError("its host name did not resolve")
        if self._refuse:
            for address in addresses:
                reason = refusal(address)
                if reason is not None:  # one internal answer is enough: the next lookup could return it
                    raise AddressRefusedError(reason)
        return [_pinned(parts, host, port, address) for address in addresses[:MAX_ADDRESSES]]


def _pinned(parts: SplitResult, host: str, port: int, address: str) -> Target:
    literal = f"[{address}]" if ":" in address else address
    userinfo, _, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@{literal}:{port}" if userinfo else f"{literal}:{port}"
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == DEFAULT_PORTS[parts.scheme] else f"{shown}:{port}"
    return Target(
        url=parts._replace(netloc=netloc, fragment="").geturl(),
        host_header=host_header,
        sni_hostname=host if parts.scheme == "https" else None,
        address=address,
    )
