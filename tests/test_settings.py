"""Settings read from the environment: an unknown value of any enumerated or typed setting is refused,
naming the variable and what it takes, instead of quietly meaning the default (REGAPI_ENV=prod once
started in development mode, GraphiQL and /dev/outbox on)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.settings import DEVELOPMENT_HOSTS, Settings, SettingsError
from tests.helpers import ROOT

REFUSED = [
    ("REGAPI_ENV", "prod", "development or production"),
    ("REGAPI_ENV", "staging", "development or production"),
    ("REGAPI_BACKEND", "cognito", "embedded or aws"),
    ("REGAPI_RELOAD", "maybe", "1, true, yes or on"),
    ("REGAPI_RELOAD", "2", "0, false, no or off"),
    ("REGAPI_DEV_ORIGINS", "localhost", "0, false, no or off"),
    ("REGAPI_PORT", "http", "port number"),
    ("REGAPI_PORT", "70000", "port number"),
    ("REGAPI_MAX_BODY_BYTES", "-1", "positive whole number"),
    ("REGAPI_MAX_BODY_BYTES", "64k", "positive whole number"),
    ("REGAPI_TRUSTED_PROXIES", "10.0.0.1, proxy.internal", "not an address or network"),
    ("REGAPI_ALLOWED_HOSTS", "*", "any Host header"),
    ("REGAPI_ALLOWED_HOSTS", "api.example.com:443", "without scheme or port"),
    ("REGAPI_ALLOWED_HOSTS", "https://api.example.com", "without scheme or port"),
    ("REGAPI_ALLOWED_HOSTS", "::1", "[2001:db8::1]"),
    ("REGAPI_HEADER_TIMEOUT", "0", "above 0 and at most 300"),
    ("REGAPI_HEADER_TIMEOUT", "soon", "above 0 and at most 300"),
    ("REGAPI_BODY_TIMEOUT", "inf", "above 0 and at most 300"),
    ("REGAPI_BODY_TIMEOUT", "nan", "above 0 and at most 300"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), REFUSED)
def test_an_unknown_value_is_refused_with_the_variable_and_what_it_takes(name: str, value: str, allowed: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value})
    assert name in str(refused.value)
    assert allowed in str(refused.value)


def test_known_values_are_read_whatever_their_case() -> None:
    settings = Settings.from_env(
        {
            "REGAPI_ENV": "Production",
            "REGAPI_BACKEND": "AWS",
            "REGAPI_RELOAD": "off",
            "REGAPI_PORT": "0",
            "REGAPI_ALLOWED_HOSTS": "API.example.com, *.example.org, 203.0.113.7, [2001:db8::1]",
            "REGAPI_TRUSTED_PROXIES": "10.0.0.0/8, fd00::1",
            "REGAPI_HEADER_TIMEOUT": "2.5",
            "REGAPI_BODY_TIMEOUT": "30",
        }
    )
    assert (settings.production, settings.backend, settings.reload, settings.port) == (True, "aws", False, 0)
    assert settings.allowed_hosts == ("api.example.com", "*.example.org", "203.0.113.7", "[2001:db8::1]")
    assert settings.trusted_proxies == ("10.0.0.0/8", "fd00::1")
    assert (settings.header_timeout, settings.body_timeout) == (2.5, 30.0)
    assert Settings.from_env({"REGAPI_RELOAD": "TRUE"}).reload


def test_an_empty_value_means_the_default() -> None:
    settings = Settings.from_env({"REGAPI_ENV": "", "REGAPI_BACKEND": " ", "REGAPI_RELOAD": "", "REGAPI_PORT": ""})
    assert settings == Settings()


def test_the_hosts_served() -> None:
    assert Settings().host_names() == DEVELOPMENT_HOSTS
    assert Settings(host="0.0.0.0").host_names() == DEVELOPMENT_HOSTS  # noqa: S104 - every address
    assert Settings(host="192.168.1.5").host_names() == (*DEVELOPMENT_HOSTS, "192.168.1.5")
    assert Settings(host="fd00::5").host_names() == (*DEVELOPMENT_HOSTS, "[fd00::5]")
    assert Settings(production=True).host_names() == ()  # create_app refuses to start (tests/test_app.py)
    assert Settings(production=True, allowed_hosts=("api.example.com",)).host_names() == ("api.example.com",)


def test_loopback_origins_are_a_development_default_only() -> None:
    """What the default means over HTTP is in tests/test_cors.py; here, who gets it."""
    assert Settings.from_env({}).loopback_origins()
    assert not Settings.from_env({"REGAPI_DEV_ORIGINS": "0"}).loopback_origins()
    production = {"REGAPI_ENV": "production", "REGAPI_ALLOWED_HOSTS": "api.example.com"}
    assert not Settings.from_env(production).loopback_origins()
    assert not Settings.from_env({**production, "REGAPI_DEV_ORIGINS": "off"}).loopback_origins()
    assert not Settings(production=True, dev_origins=True).loopback_origins()


def test_loopback_origins_asked_for_in_production_are_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"REGAPI_ENV": "production", "REGAPI_DEV_ORIGINS": "1"})
    assert str(refused.value) == (
        "REGAPI_DEV_ORIGINS is for development only: with REGAPI_ENV=production list the origins in the tenants' "
        "cors.allowed_origins"
    )


def serve(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGAPI_")}
    return subprocess.run(
        [sys.executable, "-m", "api", "serve"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_regapi_serve_exits_2_on_an_unknown_value() -> None:
    result = serve(REGAPI_ENV="prod")
    assert result.returncode == 2
    assert result.stderr.strip() == "regapi: REGAPI_ENV must be development or production, not 'prod'"


def test_regapi_serve_refuses_production_without_allowed_hosts() -> None:
    result = serve(REGAPI_ENV="production", REGAPI_BACKEND="aws", REGAPI_SESSION_SECRET="s" * 32)
    assert result.returncode == 1
    assert "refusing to start: REGAPI_ENV=production needs REGAPI_ALLOWED_HOSTS" in result.stderr


def test_strict_policies_is_a_flag_off_by_default() -> None:
    assert Settings.from_env({}).strict_policies is False
    assert Settings.from_env({"REGAPI_STRICT_POLICIES": "1"}).strict_policies is True
    with pytest.raises(SettingsError, match="REGAPI_STRICT_POLICIES"):
        Settings.from_env({"REGAPI_STRICT_POLICIES": "maybe"})
