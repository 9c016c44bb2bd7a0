"""Settings, read once from the environment (REGAPI_*)."""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Backend = Literal["embedded", "aws"]
LogFormat = Literal["json", "text"]


class SettingsError(ValueError):
    pass


ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("json", "text")
MAX_WORKERS = 64
BACKENDS = ("embedded", "aws")
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
# What a browser on the developer's machine sends as Host; production names its own (REGAPI_ALLOWED_HOSTS).
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# A host name, an IPv4 address, or a wildcard for the subdomains of a name (starlette's "*.example.com").
_HOST = re.compile(r"(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 10.0
MAX_CLIENT_TIMEOUT = 300.0


def _raw(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value; None when it is unset or empty (`REGAPI_ENV= regapi serve` means the default)."""
    raw = env.get(name, "").strip()
    return raw or None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = _raw(env, name)
    if raw is None:
        return default
    if raw.lower() not in allowed:
        raise SettingsError(f"{name} must be {' or '.join(allowed)}, not {raw!r}")
    return raw.lower()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _raw(env, name)
    if raw is None:
        return default
    if raw.lower() not in _BOOLEANS:
        raise SettingsError(f"{name} must be 1, true, yes or on (on), or 0, false, no or off (off), not {raw!r}")
    return _BOOLEANS[raw.lower()]


def _port(env: Mapping[str, str], name: str = "REGAPI_PORT", default: int | None = 8000) -> int | None:
    raw = _raw(env, name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise SettingsError(f"{name} must be a port number, 0 to 65535 (0: any free port), not {raw!r}")
    return int(raw)


_QUOTA = re.compile(r"([A-Za-z]+)=([0-9]+(\.[0-9]+)?)")


def _quotas(env: Mapping[str, str]) -> tuple[tuple[str, float], ...]:
    """REGAPI_COGNITO_QUOTAS: `Category=requests per second` pairs, comma-separated (UserCreation=100). The
    category names are checked where the buckets are made (api.cognito.quotas), against Cognito's list."""
    name = "REGAPI_COGNITO_QUOTAS"
    pairs: list[tuple[str, float]] = []
    for entry in (e.strip() for e in env.get(name, "").split(",") if e.strip()):
        match = _QUOTA.fullmatch(entry.replace(" ", ""))
        if match is None or float(match.group(2)) <= 0:
            raise SettingsError(
                f"{name}: {entry!r} is not Category=requests per second above 0 "
                "(UserCreation=100,UserAuthentication=240)"
            )
        pairs.append((match.group(1), float(match.group(2))))
    return tuple(pairs)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_CLIENT_TIMEOUT:  # nan and the infinities fail too
        raise SettingsError(
            f"{name} must be a number of seconds above 0 and at most {MAX_CLIENT_TIMEOUT:g}, not {raw!r}"
        )
    return seconds


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    entries = tuple(p.strip() for p in env.get(name, "").split(",") if p.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"{name}: {entry!r} is not an address or network (10.0.0.7, 10.0.0.0/8, fd00::/8)"
            ) from None
    return entries


def _hosts(env: Mapping[str, str]) -> tuple[str, ...] | None:
    name = "REGAPI_ALLOWED_HOSTS"
    hosts = tuple(h.strip().lower() for h in env.get(name, "").split(",") if h.strip())
    for host in hosts:
        if host == "*":
            raise SettingsError(f"{name}: '*' would accept any Host header, DNS rebinding included; name the hosts")
        if host.startswith("[") and host.endswith("]"):
            try:
                ipaddress.IPv6Address(host[1:-1])
                continue
            except ValueError:
                pass
        if not _HOST.fullmatch(host):
            raise SettingsError(
                f"{name}: {host!r} is not a host name: give api.example.com, *.example.com, 203.0.113.7 or "
                "[2001:db8::1], without scheme or port"
            )
    return hosts or None


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _raw(env, name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise SettingsError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _workers(env: Mapping[str, str]) -> int:
    workers = _positive_int(env, "REGAPI_WORKERS", 1)
    if workers > MAX_WORKERS:
        raise SettingsError(f"REGAPI_WORKERS must be at most {MAX_WORKERS}, not {workers}")
    return workers


# A Cognito request that takes longer is abandoned: answering SERVICE_UNAVAILABLE in time beats waiting.
DEFAULT_COGNITO_TIMEOUT = 10.0
MAX_COGNITO_TIMEOUT = 60.0


def _cognito_timeout(env: Mapping[str, str]) -> float:
    raw = env.get("REGAPI_COGNITO_TIMEOUT")
    if raw is None:
        return DEFAULT_COGNITO_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    # `0 < nan` is false, so nan and the infinities are refused with the rest.
    if not 0 < seconds <= MAX_COGNITO_TIMEOUT:
        raise SettingsError(
            f"REGAPI_COGNITO_TIMEOUT must be a number of seconds above 0 and at most {MAX_COGNITO_TIMEOUT:g}, "
            f"not {raw!r}"
        )
    return seconds


def _cognito_issuer(env: Mapping[str, str]) -> str | None:
    raw = env.get("REGAPI_COGNITO_ISSUER") or None
    if raw is None:
        return None
    rest = raw.replace("{pool_id}", "", 1)
    if not raw.startswith(("https://", "http://")) or "{" in rest or "}" in rest or any(c.isspace() for c in raw):
        raise SettingsError(
            "REGAPI_COGNITO_ISSUER must be an http(s) URL, either a base to which '/<pool id>' is added or a "
            f"template holding {{pool_id}} once, not {raw!r}"
        )
    return raw


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    policy_dir: Path = Path("policies")
    backend: Backend = "embedded"
    cognito_endpoint: str | None = None
    region: str = "us-east-1"
    # The deadline of every Cognito request, in seconds: the wait for a slot, the attempts and the pauses
    # between them (REGAPI_COGNITO_TIMEOUT).
    cognito_timeout: float = DEFAULT_COGNITO_TIMEOUT
    # The `iss` of the pool's tokens (REGAPI_COGNITO_ISSUER): a base URL or a template with {pool_id}.
    # Unset: AWS's form, or on another endpoint what its discovery document names.
    cognito_issuer: str | None = None
    # Seals challenge sessions; set it when several processes serve the same tenants.
    session_secret: bytes | None = field(default=None, repr=False)
    production: bool = False
    # Watch the policy directory and reload changed files (REGAPI_RELOAD=0 turns it off).
    reload: bool = True
    # Larger bodies are refused with 413 before anything is parsed.
    max_body_bytes: int = 64 * 1024
    # Attempt counters in Redis (shared by several processes); in memory when unset.
    redis_url: str | None = None
    # Proxies whose X-Forwarded-For is believed when finding the client's address.
    trusted_proxies: tuple[str, ...] = ()
    # The names clients reach the API by, as the Host header gives them (REGAPI_ALLOWED_HOSTS); required
    # in production. Unset in development: `DEVELOPMENT_HOSTS` and the address it listens on.
    allowed_hosts: tuple[str, ...] | None = None
    # Seconds a client has to send its request headers (REGAPI_HEADER_TIMEOUT), and its body
    # (REGAPI_BODY_TIMEOUT); it gets 408 after.
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    # In development, pages on the developer's own machine (http(s)://localhost, 127.0.0.1, [::1], any port)
    # may call every tenant without a `cors.allowed_origins` entry (REGAPI_DEV_ORIGINS=0 turns it off);
    # never in production, whatever this says (`loopback_origins`).
    dev_origins: bool = True
    # REGAPI_STRICT_POLICIES=1: a policy file that does not load stops the server from starting (for CI);
    # by default it refuses only its own tenant, and /readyz names it.
    strict_policies: bool = False
    # One JSON object a line (the default in production) or text for a person's terminal (REGAPI_LOG_FORMAT).
    log_format: LogFormat = "text"
    # GET /metrics on its own port (REGAPI_METRICS_PORT): in production the only place it is served, never
    # on the public listener; in development also on the public one.
    metrics_port: int | None = None
    # The address of that port (REGAPI_METRICS_HOST); unset: REGAPI_HOST's.
    metrics_host: str | None = None
    # Processes serving the one port (REGAPI_WORKERS); more than one needs the aws backend, and Redis in
    # production.
    workers: int = 1
    # Cognito's request-rate quotas of the account, by category, where they differ from AWS's defaults
    # (REGAPI_COGNITO_QUOTAS).
    cognito_quotas: tuple[tuple[str, float], ...] = ()

    def loopback_origins(self) -> bool:
        """Whether loopback origins may call every tenant: in development unless switched off, never in
        production, where every origin a browser calls from is a tenant's decision."""
        return self.dev_origins and not self.production

    def host_names(self) -> tuple[str, ...]:
        """The Host names served: `allowed_hosts`, or in development the local ones."""
        if self.allowed_hosts is not None:
            return self.allowed_hosts
        if self.production:
            return ()
        listening = self.host.strip("[]").lower()
        try:
            if ipaddress.ip_address(listening).is_unspecified:  # every address: the local names only
                return DEVELOPMENT_HOSTS
        except ValueError:
            pass  # a name
        return tuple(dict.fromkeys((*DEVELOPMENT_HOSTS, f"[{listening}]" if ":" in listening else listening)))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend = _choice(env, "REGAPI_BACKEND", BACKENDS, "embedded")
        secret = env.get("REGAPI_SESSION_SECRET")
        production = _choice(env, "REGAPI_ENV", ENVIRONMENTS, "development") == "production"
        dev_origins = _flag(env, "REGAPI_DEV_ORIGINS", not production)
        default_format = "json" if production else "text"
        if production and dev_origins:
            # Asked for in production: refused rather than ignored, so the operator learns at start-up, not
            # from a browser's CORS error, that production serves loopback pages only where a tenant lists them.
            raise SettingsError(
                "REGAPI_DEV_ORIGINS is for development only: with REGAPI_ENV=production list the origins in "
                "the tenants' cors.allowed_origins"
            )
        return cls(
            host=env.get("REGAPI_HOST", "127.0.0.1"),
            port=_port(env) or 0,
            policy_dir=Path(env.get("REGAPI_POLICY_DIR", "policies")),
            backend="aws" if backend == "aws" else "embedded",
            cognito_endpoint=env.get("REGAPI_COGNITO_ENDPOINT") or None,
            cognito_timeout=_cognito_timeout(env),
            cognito_issuer=_cognito_issuer(env),
            region=env.get("REGAPI_AWS_REGION")
            or env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or "us-east-1",
            session_secret=secret.encode() if secret else None,
            production=production,
            reload=_flag(env, "REGAPI_RELOAD", True),
            max_body_bytes=_positive_int(env, "REGAPI_MAX_BODY_BYTES", 64 * 1024),
            redis_url=env.get("REGAPI_REDIS_URL") or None,
            trusted_proxies=_networks(env, "REGAPI_TRUSTED_PROXIES"),
            allowed_hosts=_hosts(env),
            header_timeout=_seconds(env, "REGAPI_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT),
            body_timeout=_seconds(env, "REGAPI_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT),
            dev_origins=dev_origins,
            strict_policies=_flag(env, "REGAPI_STRICT_POLICIES", False),
            log_format="json" if _choice(env, "REGAPI_LOG_FORMAT", LOG_FORMATS, default_format) == "json" else "text",
            metrics_port=_port(env, "REGAPI_METRICS_PORT", None),
            metrics_host=_raw(env, "REGAPI_METRICS_HOST"),
            workers=_workers(env),
            cognito_quotas=_quotas(env),
        )
