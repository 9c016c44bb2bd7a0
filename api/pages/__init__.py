"""The hosted registration pages (README.md, "Hosted pages"): /t/<tenant>/sign-up, confirm, sign-in,
forgot-password and done, in the tenant's languages and colours.

The server side is small: a shell per page (shell.py) with the tenant's branding and texts, the headers
that hold the pages to regapi's own origin (headers.py), the tenant's logo, which regapi fetches and
serves itself (logo.py), the language choice (language.py), the texts
(translations.py, i18n/) and the static files (assets.py). The forms themselves are built in the browser
by static/app.js, the reference SPA, from `registrationForm` and the mutations of the public GraphQL API:
the pages use no API a tenant's own frontend could not.
"""

from api.pages.routes import GRAPHIQL_PREFIX, HostedPages

__all__ = ["GRAPHIQL_PREFIX", "HostedPages"]
