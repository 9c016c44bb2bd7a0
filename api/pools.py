"""Which user pool and app client serve a tenant, for each backend.

A binder turns a tenant's policy into a PoolBinding: at start-up for every tenant, and again when a
policy file changes while the server runs. `api.backends` picks the binder for the configured backend.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from api.cognito.pool_config import STAMPS, client_parameters, pool_parameters
from api.cognito.port import PoolBinding, ProviderError
from api.policy import Policy, PolicyError
from api.policy.store import PolicyStore

CONFIG_FIX = "see README: Settings and endpoints"

if TYPE_CHECKING:
    from api.cognito.embedded import EmbeddedCognito


log = logging.getLogger("regapi")


class ConfigurationError(RuntimeError):
    """The configuration cannot be served safely; the message says what to change."""


class PoolBinder(Protocol):
    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        """The binding of pool `name`, for the policies of every tenant naming it."""
        ...


# DescribeUserPool and DescribeUserPoolClient of one pool. api.backends gives one that waits for a token of
# their quotas (UserPoolRead and UserPoolClientRead, 15 a second each for the account) in the buckets every
# process shares, and sends a throttled call again: thousands of pools checked by every worker at once
# stay under the quotas together.
Describe = Callable[[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]]


class ConfiguredPools:
    """Pools that exist already (real Cognito or another endpoint): ids and secret come from the policy, the
    secret by the name of the variable in `env` that holds it (`cognito.client_secret_env`). With
    `describe`, each pool is checked once when it is bound: a pool without regapi's stamp attributes would
    fail every sign-up later with a masked error, and a client without a secret lets anyone call SignUp
    around the policies (refused in `production`, warned about elsewhere)."""

    def __init__(self, env: Mapping[str, str], describe: Describe | None = None, *, production: bool = False) -> None:
        self._env = env
        self._describe = describe
        self._production = production

    def _check(self, name: str, pool_id: str, client_id: str, secret: str | None) -> None:
        if self._describe is None:
            return
        try:
            pool, client = self._describe(pool_id, client_id)
        except ProviderError as error:  # not the policy's fault; the calls will tell if it lasts
            log.warning("pool %s (%s) could not be checked: %s", name, pool_id, error.code.value)
            return
        schema = {a.get("Name") for a in pool.get("SchemaAttributes", [])}
        missing = [stamp for stamp in STAMPS if stamp not in schema]
        if missing:
            raise ConfigurationError(
                f"pool {name!r} ({pool_id}) lacks the attributes {', '.join(missing)}, which regapi stamps on "
                "every user: add them as immutable String custom attributes (see README, Shared pools)"
            )
        readable = client.get("ReadAttributes")
        unread = [stamp for stamp in STAMPS if readable and stamp not in readable]
        if unread:
            # The stamps reach regapi in ID tokens and GetUser only when the client may read them: without,
            # a shared pool's users belong to nobody and an approved sign-up would skip its address proof.
            raise ConfigurationError(f"pool {name!r}: its app client may not read {', '.join(unread)}")
        if secret is None and client.get("ClientSecret"):
            raise ConfigurationError(f"pool {name!r}: its app client has a secret; name it in client_secret_env")
        if secret is None:
            if self._production:
                raise ConfigurationError(
                    f"pool {name!r}: its app client has no secret, so anyone could call SignUp and ConfirmSignUp "
                    "around the policies; give regapi a client with a secret"
                )
            log.warning("pool %s: its app client has no secret (refused with REGAPI_ENV=production)", name)

    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        cognito = policies[0].cognito
        if any(p.cognito != cognito for p in policies[1:]):
            # Taking one of them would send some tenants' users to a pool their own policy does not name.
            raise ConfigurationError(f"pool {name!r}: the tenants naming it give different cognito settings")
        if len(policies) > 1 and not cognito.client_secret_env:
            # With a public client anyone could call SignUp directly and claim any tenant's stamp.
            raise ConfigurationError(
                f"pool {name!r} is shared by several tenants: its app client must have a secret (client_secret_env)"
            )
        if not cognito.user_pool_id or not cognito.client_id:
            raise ConfigurationError(
                f"pool {name!r}: the aws backend needs cognito.user_pool_id and cognito.client_id in its policy"
            )
        secret = None
        if cognito.client_secret_env:
            secret = self._env.get(cognito.client_secret_env)
            if not secret:
                variable = cognito.client_secret_env
                raise ConfigurationError(f"pool {name!r}: the variable {variable} (client_secret_env) is not set")
        self._check(name, cognito.user_pool_id, cognito.client_id, secret)
        return PoolBinding(name, cognito.user_pool_id, cognito.client_id, secret)


class EmbeddedPools:
    """The embedded Cognito's pools, created from the policy and kept in step when it changes."""

    def __init__(self, embedded: EmbeddedCognito) -> None:
        self._embedded = embedded
        self._bound: dict[str, PoolBinding] = {}
        self._lock = threading.Lock()

    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        with self._lock:
            binding = self._bound.get(name)
            if binding is None:
                binding = self._embedded.create_pool(pool_parameters(name, policies), client_parameters(policies), name)
                self._bound[name] = binding
            else:
                # An operator switched self sign-up on, or added an attribute: the pool follows the files.
                self._embedded.update_pool(binding, pool_parameters(name, policies), client_parameters(policies))
            return binding


def bind_all(binder: PoolBinder, store: PolicyStore, *, strict: bool) -> dict[str, PoolBinding]:
    """Every pool of the served tenants, bound once at start-up. A pool that cannot be served refuses its
    own tenants (they leave the store, their files are listed as refused), unless `strict`."""
    bound: dict[str, PoolBinding] = {}
    for name in sorted({tenant.policy.cognito.user_pool for tenant in store.values()}):
        members = [store[tenant] for tenant in sorted(store.pool_tenants(name))]
        try:
            bound[name] = binder.bind(name, [member.policy for member in members])
        except ConfigurationError as exc:
            if strict:
                raise
            for member in members:
                store.remove(member.path)
                store.refuse(member.path, (PolicyError(member.path, None, "cognito", str(exc), CONFIG_FIX),))
                log.error("pool %s refused at start-up, tenant %r is not served: %s", name, member.tenant, exc)
    return bound
