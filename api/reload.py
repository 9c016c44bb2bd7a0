"""Hot reload: the policy directory is watched, and each changed file is reloaded on its own.

A valid change takes effect for the next request; a new file adds a tenant, a removed file removes it;
an invalid file is refused, logged and shown by GET /readyz, and its last good version keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from pathlib import Path

import anyio.to_thread
from watchfiles import awatch

from api.cognito.port import PoolBinding
from api.observability import metrics
from api.policy import PolicyError, PolicyLoadError, TenantPolicy, load_policy
from api.policy.loader import POLICY_SUFFIXES
from api.policy.sharing import KEY as SHARED_KEY
from api.policy.sharing import joining
from api.policy.store import PolicyStore
from api.pools import CONFIG_FIX, ConfigurationError, PoolBinder

log = logging.getLogger("regapi.reload")

# watchfiles waits this long for a burst of writes (an editor's save) to settle before reporting it.
DEBOUNCE_MS = 100
# A check a loaded file passes before it serves, with what the file alone cannot tell (the environment,
# production): its problems, or none (api.events.admission's webhook check).
Admission = Callable[[TenantPolicy], tuple[PolicyError, ...]]


class PolicyReloader:
    def __init__(
        self,
        directory: Path,
        store: PolicyStore,
        binder: PoolBinder,
        pools: MutableMapping[str, PoolBinding],
        admission: Admission | None = None,
    ) -> None:
        self.directory = Path(directory)
        self._store = store
        self._binder = binder
        self._pools = pools
        self._admission = admission
        self.stopped: str | None = None  # why watching stopped, for GET /readyz

    def apply(self, path: Path) -> None:
        """Bring the store in line with one file as it is now."""
        path = Path(path)
        if path.suffix not in POLICY_SUFFIXES:
            return
        if self._apply(path):
            self._retry_refused_shares(path)
        metrics.policies(len(self._store), len(self._store.errors))

    def _retry_refused_shares(self, changed: Path) -> None:
        """A file refused for sharing a pool undeclared may be servable now that another file changed
        (it left the pool, or declared the share): each is tried again, once."""
        for path, errors in list(self._store.errors.items()):
            if path != changed and all(e.key == SHARED_KEY for e in errors):
                self._apply(path)

    def _apply(self, path: Path) -> bool:
        """One file applied; whether the tenants served changed."""
        if not path.is_file():
            gone = self._store.remove(path)
            if gone is not None:
                log.warning("policy removed: tenant %s is no longer served", gone.tenant)
                metrics.policy_reload(applied=True)
                self._rebind(gone.policy.cognito.user_pool)
            return gone is not None
        try:
            policy = load_policy(path)
            self._check_conflicts(policy)
            pool = policy.policy.cognito.user_pool
            members = [self._store[t] for t in sorted(self._store.pool_tenants(pool)) if t != policy.tenant]
            admitted = self._admission(policy) if self._admission is not None else ()
            if problems := admitted or joining(policy, members):
                self._refuse(path, problems)
                return False
            binding = self._binder.bind(pool, [*(m.policy for m in members), policy.policy])
        except PolicyLoadError as exc:
            self._refuse(path, tuple(exc.errors))
            return False
        except ConfigurationError as exc:
            self._refuse(path, (PolicyError(path, None, "cognito", str(exc), CONFIG_FIX),))
            return False
        except Exception as exc:  # one file must never stop the reload of the others
            log.exception("policy file could not be applied: %s", path)
            message = f"could not be applied ({type(exc).__name__})"
            self._refuse(path, (PolicyError(path, None, "", message, "see the server log"),))
            return False
        previous = self._store.get(policy.tenant)
        self._pools[pool] = binding
        self._store.put(policy)
        metrics.tenants_served((policy.tenant,))
        metrics.policy_reload(applied=True)
        log.info("policy reloaded: tenant %s revision %s", policy.tenant, policy.revision)
        if previous is not None and previous.policy.cognito.user_pool != pool:
            self._rebind(previous.policy.cognito.user_pool)
        return True

    def _rebind(self, pool: str) -> None:
        """After a tenant left a shared pool, the pool takes the rules of those that remain (it may
        tighten: the leaving tenant may have been the one that kept sign-up open)."""
        remaining = [self._store[t].policy for t in sorted(self._store.pool_tenants(pool))]
        if not remaining:
            return
        try:
            self._pools[pool] = self._binder.bind(pool, remaining)
        except Exception:  # the tenants still served keep the pool as it was
            log.exception("pool %s could not follow the removal of a tenant", pool)

    def _check_conflicts(self, policy: TenantPolicy) -> None:
        same_name = self._store.get(policy.tenant)
        if same_name is not None and same_name.path != policy.path:
            raise ConfigurationError(f"tenant {policy.tenant!r} is defined by {same_name.path} already")

    def _refuse(self, path: Path, errors: tuple[PolicyError, ...]) -> None:
        self._store.refuse(path, errors)
        metrics.policy_reload(applied=False)
        serving = self._store.get(path.stem)
        if serving is not None and serving.path == path:
            consequence = "the last good version keeps serving"
        else:  # a new file, or one whose earlier versions never loaded: nothing of it serves
            consequence = f"tenant {path.stem!r} is not served"
        for error in errors:
            log.error("policy refused, %s: %s", consequence, error)

    async def watch(self) -> None:
        """Runs until cancelled (the app's lifespan does that at shutdown)."""
        try:
            async for changes in awatch(self.directory, debounce=DEBOUNCE_MS, step=50, recursive=False):
                for _, changed in sorted(changes, key=lambda change: change[1]):
                    # The watcher names files by absolute path; the store knows them as the loader
                    # found them (relative where the directory is, as `make run`'s `policies` is).
                    path = self.directory / Path(changed).name
                    # Off the event loop: parsing and provisioning a pool must not stall requests.
                    await anyio.to_thread.run_sync(self.apply, path)
        except Exception as exc:
            self.stopped = f"policy reload stopped: {type(exc).__name__}"
            log.exception("policy reload stopped; restart the server to pick up policy changes")
            raise
