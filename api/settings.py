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


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    policy_dir: Path = Path("policies")
    backend: Backend = "embedded"
    cognito_endpoint: str | None = None
    region: str = "us-east-1"
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
