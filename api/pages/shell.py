"""The HTML of a page: the same shell for every page, in which the reference SPA (static/app.js) renders the
page's forms from `registrationForm`. What needs no API call is written here already: the tenant's name,
logo and colours, the heading, the links between the pages, the done page, and the notice of a tenant
whose sign-up is off (which then has no form at all).

Every value from a policy or a request is escaped for its place: text and attributes with html.escape, the
settings block as JSON whose `<`, `>` and `&` are escaped, so no value can end the block or open a tag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from urllib.parse import urlencode

from api.pages.translations import catalogue, display_name, texts
from api.policy import TenantPolicy
from api.policy.pages import LANGUAGES, Language

PAGES = ("sign-up", "confirm", "sign-in", "forgot-password", "done")
STATIC = "/pages/static"
AUTONYMS: Mapping[Language, str] = {"en": "English", "ja": "日本語"}
# The query parameters a page passes on to the links it shows (its language is set per link).
KEPT = ("username",)


def page_url(tenant: str, page: str, language: str, **params: str | None) -> str:
    query = urlencode({"lang": language, **{name: value for name, value in params.items() if value}})
    return f"/t/{tenant}/{page}?{query}"


def fill(text: str, **params: str) -> str:
    """A text with its {placeholders} replaced; one it does not name stays as it is (str.format would raise)."""
    for name, value in params.items():
        text = text.replace("{" + name + "}", value)
    return text


def _json_block(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _document(language: str, title: str, head: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="icon" href="{STATIC}/favicon.svg" type="image/svg+xml">\n'
        f'<link rel="stylesheet" href="{STATIC}/style.css">\n'
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _languages(tenant: TenantPolicy, page: str, current: Language, query: Mapping[str, str]) -> str:
    offered = tenant.policy.pages.languages
    if len(offered) < 2:
        return ""
    kept = {name: query.get(name) for name in KEPT}
    items = []
    for language in offered:
        href = escape(page_url(tenant.tenant, page, language, **kept))
        current_one = ' aria-current="true"' if language == current else ""
        items.append(
            f'<li><a href="{href}" hreflang="{language}" lang="{language}"{current_one}>{AUTONYMS[language]}</a></li>'
        )
    label = escape(catalogue(current)["language.nav"])
    return f'<nav class="languages" aria-label="{label}"><ul>{"".join(items)}</ul></nav>'


def _header(tenant: TenantPolicy, page: str, language: Language, query: Mapping[str, str], *, logo: bool) -> str:
    # regapi serves the logo (api.pages.logo): the browser asks no other host. The name is written beside
    # it, so the image adds nothing for a screen reader: alt="".
    image = f'<img class="logo" src="/t/{tenant.tenant}/logo" alt="">' if logo else ""
    name = escape(display_name(language, tenant))
    languages = _languages(tenant, page, language, query)
    return f'<header class="brand">\n<p class="brand-name">{image}<span>{name}</span></p>\n{languages}\n</header>\n'


def _links(tenant: TenantPolicy, page: str, language: Language, words: Mapping[str, str]) -> str:
    def link(target: str, text: str) -> str:
        return f'<a href="{escape(page_url(tenant.tenant, target, language))}">{escape(words[text])}</a>'

    self_signup = tenant.policy.registration.self_signup
    lines = {
        "sign-up": [f"{escape(words['sign-up.have-account'])} {link('sign-in', 'link.sign-in')}"],
        "confirm": [link("sign-in", "link.sign-in")],
        "sign-in": [link("forgot-password", "sign-in.forgot")]
        + ([f"{escape(words['sign-in.no-account'])} {link('sign-up', 'link.sign-up')}"] if self_signup else []),
        "forgot-password": [link("sign-in", "link.sign-in")],
    }.get(page, [])
    return "".join(f"<p>{line}</p>" for line in lines)


def _main(tenant: TenantPolicy, page: str, language: Language, words: Mapping[str, str]) -> str:
    name = display_name(language, tenant)
    heading = f'<h1 id="title" tabindex="-1">{escape(words[f"{page}.title"])}</h1>\n'
    if page == "done":
        return_url = tenant.policy.pages.return_url
        onward = (
            f'<p><a class="button" href="{escape(return_url)}">{escape(fill(words["done.return"], name=name))}</a></p>'
            if return_url
            else ""
        )
        return f'<section id="done">\n{heading}<p>{escape(words["done.text"])}</p>\n{onward}\n</section>\n'
    if page == "sign-up" and not tenant.policy.registration.self_signup:
        notice = escape(fill(words["sign-up.disabled"], name=name))
        return f'{heading}<p id="sign-up-disabled" class="notice">{notice}</p>\n'
    loading = escape(words["loading"])
    noscript = escape(words["noscript"])
    app = f'<div id="app"><p class="loading">{loading}</p></div>\n'
    return f'{heading}{app}<noscript><p class="notice">{noscript}</p></noscript>\n'


def render(tenant: TenantPolicy, page: str, language: Language, query: Mapping[str, str], *, logo: bool = False) -> str:
    """The page's HTML; `logo`: regapi has the tenant's logo to serve at /t/<tenant>/logo."""
    words = texts(language, tenant)
    policy = tenant.policy
    settings = {
        "tenant": tenant.tenant,
        "page": page,
        "lang": language,
        "displayName": display_name(language, tenant),
        "usernameKind": policy.username.kind.upper(),
        "selfSignUp": policy.registration.self_signup,
        "messages": words,
    }
    head = f'<script type="application/json" id="page-config">{_json_block(settings)}</script>\n'
    head += f'<script type="module" src="{STATIC}/app.js"></script>\n'
    if policy.pages.primary_color is not None:
        head += f'<link rel="stylesheet" href="/t/{tenant.tenant}/theme.css">\n'
    footer = _links(tenant, page, language, words)
    body = (
        _header(tenant, page, language, query, logo=logo)
        + f'<main id="main">\n{_main(tenant, page, language, words)}</main>\n'
        + (f'<footer class="links">{footer}</footer>\n' if footer else "")
    )
    title = f"{words[f'{page}.title']} \N{EN DASH} {display_name(language, tenant)}"
    return _document(language, title, head, body)


def render_not_found(language: Language) -> str:
    words = catalogue(language)
    body = (
        f'<main id="main">\n<h1>{escape(words["not-found.title"])}</h1>\n'
        f'<p class="notice">{escape(words["not-found.text"])}</p>\n</main>\n'
    )
    return _document(language, words["not-found.title"], "", body)


__all__ = ["LANGUAGES", "PAGES", "page_url", "render", "render_not_found"]
