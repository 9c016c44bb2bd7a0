"""Admin credentials: a tenant's API keys, compared in constant time against their sha256 digests, or
a Cognito access token of a user in one of the tenant's admin groups."""

from __future__ import annotations

import hashlib
import hmac
import logging

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode
from api.policy import Policy, TenantPolicy
from api.registration.failures import NOT_ADMIN, refuse
from api.registration.requests import Caller
from api.registration.tenancy import Target, Tenancy
from api.registration.tokens import AccessTokens, looks_like_jwt

audit = logging.getLogger("regapi.audit")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_key_name(policy: Policy, key: str) -> str | None:
    """The name of the matching key, or None. Every digest is compared, so timing does not tell which failed."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    found = None
    for entry in policy.admins.api_keys:
        if hmac.compare_digest(digest, entry.sha256):
            found = entry.name
    return found


class Administrators:
    def __init__(self, tenancy: Tenancy, provider: IdentityProvider, tokens: AccessTokens) -> None:
        self._tenancy = tenancy
        self._provider = provider
        self._tokens = tokens

    async def target(self, tenant: str, username: str, caller: Caller) -> Target:
        """The user an admin call names, once the caller is proven an administrator of its tenant."""
        target = self._tenancy.target(tenant, username, caller)
        await self.authenticate(target.policy, caller.authorization)
        return target

    async def authenticate(self, policy: TenantPolicy, authorization: str | None) -> str:
        """The administrator's name (API key name, or `token:<username>`); refuses anyone else."""
        key = bearer_token(authorization)
        name = api_key_name(policy.policy, key) if key else None
        if name is None and key and looks_like_jwt(key) and policy.policy.admins.groups:
            name = await self._token_admin(policy, key)
        if name is None:
            audit.info("admin refused tenant=%s", policy.tenant)
            refuse(NOT_ADMIN)
        audit.info("admin tenant=%s as=%s", policy.tenant, name)
        return name

    async def _token_admin(self, policy: TenantPolicy, token: str) -> str | None:
        target = self._tenancy.target_of(policy, "")
        username = await self._tokens.admin(target.pool, token, policy.policy.admins.groups)
        if username is None:
            return None
        # Cognito's own word on the token: a signed-out or disabled administrator's token verifies locally
        # until it expires, but GetUser refuses it. In a shared pool the record's stamp also tells whether
        # the administrator is this tenant's.
        try:
            user = await self._provider.get_user(target.pool, token)
        except ProviderError as error:
            if error.code in {ProviderErrorCode.NOT_AUTHORIZED, ProviderErrorCode.USER_NOT_FOUND}:
                return None
            raise
        if not target.owns(user):
            return None
        return f"token:{username}"
