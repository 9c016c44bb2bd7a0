"""Settings, read once from the environment (REGAPI_*)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Backend = Literal["embedded", "aws"]


class SettingsError(ValueError):
    pass


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise SettingsError(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend = env.get("REGAPI_BACKEND", "embedded")
        if backend not in ("embedded", "aws"):
            raise SettingsError(f"REGAPI_BACKEND must be 'embedded' or 'aws', not {backend!r}")
        try:
            port = int(env.get("REGAPI_PORT", "8000"))
        except ValueError:
            raise SettingsError("REGAPI_PORT must be a port number") from None
        secret = env.get("REGAPI_SESSION_SECRET")
        return cls(
            host=env.get("REGAPI_HOST", "127.0.0.1"),
            port=port,
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
            production=env.get("REGAPI_ENV", "development") == "production",
            reload=env.get("REGAPI_RELOAD", "1") not in ("0", "false", "no"),
            max_body_bytes=_positive_int(env, "REGAPI_MAX_BODY_BYTES", 64 * 1024),
            redis_url=env.get("REGAPI_REDIS_URL") or None,
            trusted_proxies=tuple(p.strip() for p in env.get("REGAPI_TRUSTED_PROXIES", "").split(",") if p.strip()),
        )
