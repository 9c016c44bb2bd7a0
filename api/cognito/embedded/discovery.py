"""Where a backend finds what verifies the embedded Cognito's tokens: each pool's JSON Web Key Set and OpenID
discovery document, at `<iss>/.well-known/jwks.json` and `<iss>/.well-known/openid-configuration`, where
Cognito serves them and JWT libraries look for them.

In-process (`make run`, `regapi serve` on the embedded backend) the API serves them under `/dev/cognito`,
in embedded mode only (like /dev/outbox), so a pool's issuer is `http://<API address>/dev/cognito/<pool
id>`, and `GET /dev/cognito` lists the pools with their ids, app client ids and issuers (they change at
every start); `regapi cognito serve` serves them at its root (`http://HOST:PORT/<pool id>`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.cognito.embedded import signing

PREFIX = "/dev/cognito"
NAMES = ("jwks.json", "openid-configuration")


def listening_url(host: str, port: int) -> str:
    """`http://host:port` as a client on this machine reaches a server listening there: an address that
    means every interface (0.0.0.0, ::, or none) is reached at loopback."""
    name = host.strip().strip("[]") or "0.0.0.0"  # noqa: S104 - the address uvicorn takes an empty host for
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return f"http://{name}:{port}"  # a host name
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def document(issuer: str, name: str) -> dict[str, Any] | None:
    """The document `name` (one of NAMES) of the pool issuing as `issuer`; None for another name."""
    if name == "jwks.json":
        return signing.key_set()
    if name == "openid-configuration":
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [signing.ALGORITHM],
        }
    return None


def routes(issuer_of: Callable[[str], str | None], pools: Callable[[], list[dict[str, str]]]) -> list[Route]:
    """The API's routes for the documents of the pools `issuer_of` names an issuer for (404 for others),
    and the list of `pools`."""

    async def listing(_: Request) -> JSONResponse:
        return JSONResponse(pools())

    def endpoint(name: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> JSONResponse:
            issuer = issuer_of(request.path_params["pool_id"])
            body = None if issuer is None else document(issuer, name)
            if body is None:
                return JSONResponse({"error": "no such user pool"}, status_code=404)
            return JSONResponse(body)

        return serve

    documents = [Route(f"{PREFIX}/{{pool_id}}/.well-known/{name}", endpoint(name), methods=["GET"]) for name in NAMES]
    return [Route(PREFIX, listing, methods=["GET"]), *documents]
