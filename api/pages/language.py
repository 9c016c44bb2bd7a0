"""Which language a page is served in: `?lang=`, else the browser's Accept-Language, else the tenant's first.

Only the tenant's own languages (`pages.languages`) are ever chosen: a tenant that offers English alone gets
English pages, whatever the browser prefers.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.policy.pages import Language

# An Accept-Language header is the client's text: read a bounded part of it.
MAX_PREFERENCES = 32


def preferences(header: str | None) -> list[str]:
    """The language ranges of an Accept-Language header, most preferred first (RFC 9110, 12.5.4); q=0 ones
    are refused ranges, left out."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:MAX_PREFERENCES]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and 0 < quality <= 1:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(requested: str | None, accept_language: str | None, offered: Sequence[Language]) -> Language:
    """`offered` is never empty (the policy model requires a language)."""
    for language in offered:
        if requested == language:
            return language
    for tag in preferences(accept_language):
        primary = tag.split("-")[0]
        for language in offered:
            if primary == language:  # ja-JP is Japanese; en-GB and en-US are English
                return language
        if tag == "*":
            break
    return offered[0]
