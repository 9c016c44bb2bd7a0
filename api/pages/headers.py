"""The headers every page and asset is served with: a Content-Security-Policy that lets a page load nothing
but regapi's own scripts, styles and images (and the tenant's logo) and talk to nothing but regapi's own
/graphql, and the headers that keep it out of frames, other origins' windows and referrers."""

from __future__ import annotations

from urllib.parse import urlsplit

from api.policy import TenantPolicy


def logo_origin(tenant: TenantPolicy | None) -> str | None:
    """The origin the tenant's logo is loaded from, for img-src; None without a logo."""
    url = tenant.policy.pages.logo_url if tenant is not None else None
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(tenant: TenantPolicy | None) -> str:
    # No 'unsafe-inline' anywhere: the page's settings travel in a JSON data block, which is not a script,
    # and its colours in a stylesheet (/t/<tenant>/theme.css). img-src allows data: only where no logo
    # origin is named: the pages' own images are files, so data: is for nothing but a browser's default
    # icons.
    images = logo_origin(tenant) or "data:"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            f"img-src 'self' {images}",
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


def page_headers(tenant: TenantPolicy | None, language: str) -> dict[str, str]:
    return {
        **COMMON,
        "Content-Security-Policy": content_security_policy(tenant),
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
