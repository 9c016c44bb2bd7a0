"""Admin credentials: a tenant's API keys, compared in constant time against their sha256 digests, or
a Cognito access token of a user in one of the tenant's admin groups."""

from __future__ import annotations

import hashlib
import hmac

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode, UserRecord
from api.observability import audit, scope
from api.policy import Policy, TenantPolicy
from api.registration.failures import NOT_ADMIN, refuse
from api.registration.requests import Caller
from api.registration.tenancy import Target, Tenancy
from api.registration.tokens import AccessTokens, looks_like_jwt


def admin_action(action: str, user: UserRecord | str | None, *, attributes: list[str] | None = None) -> None:
    """The audit event of an administrator's act on a user (its record, or its `sub`): the actor is the
    request's, set when the administrator was authenticated. The user by `sub`, never by name: a username
    may be an e-mail address, and the `sub` finds the user in Cognito as well."""
    sub = user.attributes.get("sub") if isinstance(user, UserRecord) else user
    audit.event("admin_action", action=action, user_sub=sub, attributes=attributes)


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
        """The administrator, as the audit events name it (`key:<API key name>`, or `admin:<sub>` for an
        administrator's token), now the request's actor; refuses anyone else."""
        key = bearer_token(authorization)
        name = api_key_name(policy.policy, key) if key else None
        actor = f"key:{name}" if name is not None else None
        if actor is None and key and looks_like_jwt(key) and policy.policy.admins.groups:
            actor = await self._token_admin(policy, key)
        if actor is None:
            audit.event("admin_refused", tenant=policy.tenant, code=NOT_ADMIN.code.value)
            refuse(NOT_ADMIN, audited=True)
        scope.set_actor(actor)
        return actor

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
        # The `sub`: a username may be an e-mail address, personal data the audit trail does not need.
        return f"admin:{user.attributes.get('sub') or username}"
