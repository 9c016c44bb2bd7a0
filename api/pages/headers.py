"""The headers every page and asset is served with: a Content-Security-Policy that lets a page load nothing
but regapi's own scripts, styles and images (the tenant's logo too: regapi serves it, api.pages.logo) and
talk to nothing but regapi's own /graphql, and the headers that keep it out of frames, other origins'
windows and referrers. The same for every tenant: no policy names another origin."""

from __future__ import annotations


def content_security_policy() -> str:
    # No 'unsafe-inline' anywhere: the page's settings travel in a JSON data block, which is not a script,
    # and its colours in a stylesheet (/t/<tenant>/theme.css). The logo is regapi's /t/<tenant>/logo; the
    # pages' own images are files, so data: is for nothing but a browser's default icons.
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


# For every answer of the pages, HTML and assets alike.
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def page_headers(language: str) -> dict[str, str]:
    return {
        **COMMON,
        "Content-Security-Policy": content_security_policy(),
        # The pages' URLs carry a username (?username=): no other site learns it from a Referer.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        # A page is a shell rendered for one language and one policy revision: never kept.
        "Cache-Control": "no-store",
        "Content-Language": language,
        "Vary": "Accept-Language",
    }
