"""The signing keys and issuer of a pool's tokens, from its endpoint: a KeySource for the aws backend.

The issuer (`iss` of every token the pool signs) is, in order:
- REGAPI_COGNITO_ISSUER, when set: a template holding `{pool_id}`, or a base URL to which `/<pool id>`
  is added;
- on AWS itself (no endpoint configured), AWS's form `https://cognito-idp.<region>.amazonaws.com/<pool id>`;
- on another endpoint, the `issuer` of its OpenID discovery document
  (`<endpoint>/<pool id>/.well-known/openid-configuration`, where Cognito serves it too), or
  `<endpoint>/<pool id>` when the endpoint serves none.

Every fetch runs within the Cognito budget; any failure is a ProviderError (UNAVAILABLE).
"""

from __future__ import annotations

import functools
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from api.cognito.budget import DEFAULT_SECONDS, CallBudget
from api.cognito.port import PoolBinding, ProviderError, ProviderErrorCode

log = logging.getLogger("regapi.cognito")

# A refresh at most once a minute per pool: tokens naming unknown keys cannot flood the endpoint.
REFRESH_SECONDS = 60


class NotServed(Exception):  # noqa: N818 - an answer, not a fault
    """The endpoint answered 404 for the document."""


class HttpKeySource:
    """A pool's signing keys fetched from its JWKS URL and cached; fetched again when a token names a key
    the cache does not hold (Cognito rotates keys)."""

    def __init__(
        self,
        region: str,
        endpoint_url: str | None = None,
        *,
        budget: CallBudget | None = None,
        issuer: str | None = None,
    ) -> None:
        aws = f"https://cognito-idp.{region}.amazonaws.com"
        self._base = endpoint_url.rstrip("/") if endpoint_url else aws
        self._issuer = issuer
        # Only another endpoint than AWS's is asked for its issuer.
        self._discover = issuer is None and endpoint_url is not None
        self._budget = budget or CallBudget(DEFAULT_SECONDS)
        self._cache: dict[str, Mapping[str, Any]] = {}
        self._fetched: dict[str, float] = {}
        self._discovered: dict[str, str] = {}

    def issuer(self, pool: PoolBinding) -> str:
        """The pool's issuer; on an endpoint that is asked, known once `jwks` has answered for the pool."""
        pool_id = pool.user_pool_id
        if self._issuer is not None:
            if "{pool_id}" in self._issuer:
                return self._issuer.replace("{pool_id}", pool_id)
            return f"{self._issuer.rstrip('/')}/{pool_id}"
        return self._discovered.get(pool_id, f"{self._base}/{pool_id}")

    async def jwks(self, pool: PoolBinding, *, refresh: bool = False) -> Mapping[str, Any]:
        pool_id = pool.user_pool_id
        stale = refresh and time.monotonic() - self._fetched.get(pool_id, 0.0) > REFRESH_SECONDS
        if self._discover and pool_id not in self._discovered:
            self._discovered[pool_id] = await self._discovered_issuer(pool_id)
        if stale or pool_id not in self._cache:
            keys = await self._get(f"{self._base}/{pool_id}/.well-known/jwks.json", pool_id)
            if not isinstance(keys.get("keys"), list):
                log.warning("cognito key set of pool %s holds no keys", pool_id)
                raise ProviderError(ProviderErrorCode.UNAVAILABLE)
            self._cache[pool_id] = keys
            self._fetched[pool_id] = time.monotonic()
        return self._cache[pool_id]

    async def _discovered_issuer(self, pool_id: str) -> str:
        fallback = f"{self._base}/{pool_id}"
        try:
            document = await self._get(f"{fallback}/.well-known/openid-configuration", pool_id, missing_ok=True)
        except NotServed:
            log.info("cognito endpoint serves no discovery document for pool %s: issuer %s", pool_id, fallback)
            return fallback
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            log.warning("cognito discovery document of pool %s names no issuer: using %s", pool_id, fallback)
            return fallback
        return issuer

    async def _get(self, url: str, pool_id: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        fetch = functools.partial(_fetch_json, url, self._budget.read_timeout)
        try:
            return await self._budget.run(fetch, _transient)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                raise NotServed from None
            if exc.code == 404:
                log.error("cognito serves no key set for pool %s (HTTP 404): check the policy's user_pool_id", pool_id)
            else:
                log.warning("cognito key fetch for pool %s failed: HTTP %s", pool_id, exc.code)
        except TimeoutError:
            log.warning("cognito key fetch for pool %s: no answer within %g s", pool_id, self._budget.seconds)
        except (OSError, ValueError) as exc:  # URLError is an OSError; a body that is no JSON, a ValueError
            log.warning("cognito key fetch for pool %s failed: %s", pool_id, type(exc).__name__)
        raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None


def _transient(exc: Exception) -> bool:
    """A GET changes nothing: tried again after anything but an answer that will not change."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code == 429
    return isinstance(exc, OSError)


def _fetch_json(url: str, timeout: float) -> Mapping[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - an https or configured endpoint URL
        data = json.load(response)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
