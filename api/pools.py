"""Which user pool and app client serve a tenant, for each backend.

A binder turns a tenant's policy into a PoolBinding: at start-up for every tenant, and again when a
policy file changes while the server runs. `api.backends` picks the binder for the configured backend.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from api.cognito.pool_config import client_parameters, pool_parameters
from api.cognito.port import PoolBinding
from api.policy import Policy

if TYPE_CHECKING:
    from api.cognito.embedded import EmbeddedCognito


class ConfigurationError(RuntimeError):
    """The configuration cannot be served safely; the message says what to change."""


class PoolBinder(Protocol):
    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        """The binding of pool `name`, for the policies of every tenant naming it."""
        ...


class ConfiguredPools:
    """Pools that exist already (real Cognito or another endpoint): ids and secret come from the policy, the
    secret by the name of the variable in `env` that holds it (`cognito.client_secret_env`)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

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
