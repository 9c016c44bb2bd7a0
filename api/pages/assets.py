"""The pages' static files (static/: the reference SPA's modules, its stylesheet, its icon) and, in
development, GraphiQL's (vendor/graphiql/: the exact files strawberry's GraphiQL page names on its CDN),
served by starlette's StaticFiles (no path outside the directory, ETags and 304s) with the pages' headers
and explicit media types: a module script is refused by browsers unless served as JavaScript."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.pages.headers import COMMON

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
GRAPHIQL_DIR = HERE / "vendor" / "graphiql"

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


class Assets(StaticFiles):
    """`cache_control`: how long browsers keep a file. The SPA's files change with regapi, so they are
    checked each time (their ETag saves the transfer); GraphiQL's sit under versioned paths and never change."""

    def __init__(self, directory: Path, *, cache_control: str) -> None:
        super().__init__(directory=directory)
        self._cache_control = cache_control

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update({**COMMON, "Cache-Control": self._cache_control})
        media_type = MEDIA_TYPES.get(Path(full_path).suffix)
        if media_type is not None and response.status_code == 200:
            response.headers["Content-Type"] = media_type
        return response


def static_files() -> Assets:
    return Assets(STATIC_DIR, cache_control="no-cache")


def graphiql_files() -> Assets:
    return Assets(GRAPHIQL_DIR, cache_control="public, max-age=31536000, immutable")
