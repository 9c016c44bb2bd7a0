"""`events.webhooks` of a policy file: every bad key is refused with its file, line, key and fix, by the loader
(what the file alone tells) and by the admission check (what needs the environment and the production
flag: the secret's variable, https, internal hosts), which `regapi policy check` runs as well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.events.admission import WebhookAdmission, internal_host, secret_problem
from api.policy import PolicyError, PolicyLoadError, TenantPolicy, load_policy

REPO = Path(__file__).resolve().parents[2]
SHOP = (REPO / "policies" / "shop.yaml").read_text(encoding="utf-8")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks specification's example (24 bytes)
ENV = {"SHOP_HOOK": SECRET}


def with_webhooks(*entries: str) -> str:
    """shop.yaml with an `events.webhooks` list made of the given entries (YAML, two spaces in)."""
    return SHOP + "events:\n  webhooks:\n" + "".join(entries)


def webhook(url: str = "https://crm.shop.example/events", secret_env: str = "SHOP_HOOK", **lists: str) -> str:
    events = lists.get("events", "[user.signed_up, user.confirmed]")
    attributes = lists.get("attributes", "[email, name]")
    return f"    - url: {url}\n      secret_env: {secret_env}\n      events: {events}\n      attributes: {attributes}\n"


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> PolicyError:
    with pytest.raises(PolicyLoadError) as caught:
        load_policy(path)
    (error,) = caught.value.errors
    assert error.file == path
    assert error.fix.strip()
    return error


def admission_errors(
    policy: TenantPolicy, env: dict[str, str] | None = None, *, production: bool = False
) -> tuple[PolicyError, ...]:
    return WebhookAdmission(ENV if env is None else env, production=production)(policy)


# ------------------------------------------------------------------ the file alone


def test_a_valid_webhook_loads(tmp_path: Path) -> None:
    text = with_webhooks(webhook(attributes="[email, email_verified]"))
    loaded = load_policy(written(tmp_path, text))
    (hook,) = loaded.policy.events.webhooks
    assert hook.url == "https://crm.shop.example/events"
    assert [e.value for e in hook.events] == ["user.signed_up", "user.confirmed"]
    assert hook.attributes == ["email", "email_verified"]
    assert admission_errors(loaded, production=True) == ()


def test_an_unknown_event_type_names_its_line_and_the_accepted_types(tmp_path: Path) -> None:
    text = with_webhooks(webhook(events="[user.signed_up, user.sign_up]"))
    error = load_error(written(tmp_path, text))
    assert error.key == "events.webhooks[0].events[1]"
    assert error.line == line_of(text, "user.sign_up]")
    assert "'user.sign_up' is not one of the accepted values" in error.message
    assert "user.signed_up" in error.fix
    assert "user.first_sign_in_completed" in error.fix


def test_an_attribute_the_policy_does_not_name_is_refused(tmp_path: Path) -> None:
    text = with_webhooks(webhook(attributes="[email,\n        custom:tenant_id]"))
    error = load_error(written(tmp_path, text))
    assert error.key == "events.webhooks[0].attributes[1]"
    assert error.line == line_of(text, "custom:tenant_id]")
    assert "custom:tenant_id is not an attribute of this policy" in error.message
    assert "add custom:tenant_id under attributes:" in error.fix


def test_a_url_given_to_two_webhooks_is_refused_at_the_second(tmp_path: Path) -> None:
    text = with_webhooks(webhook(), webhook(events="[user.deleted]"))
    error = load_error(written(tmp_path, text))
    assert error.key == "events.webhooks[1].url"
    assert error.line == line_of(text, "- url:", occurrence=2)
    assert "sent to it twice" in error.message


def test_an_event_type_listed_twice_is_refused(tmp_path: Path) -> None:
    text = with_webhooks(webhook(events="[user.confirmed, user.confirmed]"))
    error = load_error(written(tmp_path, text))
    assert error.key == "events.webhooks[0].events[1]"
    assert "listed twice" in error.message


# ------------------------------------------------------------------ with the environment and production


def test_an_unset_secret_variable_is_refused_at_its_key(tmp_path: Path) -> None:
    text = with_webhooks(webhook(secret_env="NOBODY_SET_THIS"))
    (error,) = admission_errors(load_policy(written(tmp_path, text)))
    assert error.key == "events.webhooks[0].secret_env"
    assert error.line == line_of(text, "secret_env: NOBODY_SET_THIS")
    assert error.message == "the variable NOBODY_SET_THIS is not set"
    assert "NOBODY_SET_THIS" in error.fix
    assert "whsec_" in error.fix


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is not set"),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "does not hold a Standard Webhooks secret"),
        ("whsec_not*base64!", "not base64"),
        ("whsec_c2hvcnQ=", "a key of 5 bytes"),
        (SECRET, None),
        (SECRET.rstrip("="), None),
        ("whsec_" + "QUFB" * 21 + "QQ==", None),  # 64 bytes: the longest the specification allows
    ],
)
def test_secrets_are_standard_webhooks_ones(value: str, problem: str | None) -> None:
    found = secret_problem(value)
    assert (found is None) == (problem is None), found
    if problem is not None:
        assert found is not None
        assert problem in found
        assert not value[6:] or value[6:] not in found  # the value is never quoted


def test_a_bad_secret_is_refused_without_showing_it(tmp_path: Path) -> None:
    loaded = load_policy(written(tmp_path, with_webhooks(webhook())))
    (error,) = admission_errors(loaded, {"SHOP_HOOK": "hunter2-not-a-secret"})
    assert error.key == "events.webhooks[0].secret_env"
    assert "does not hold a Standard Webhooks secret" in error.message
    assert "hunter2" not in str(error)


def test_production_refuses_http(tmp_path: Path) -> None:
    text = with_webhooks(webhook(url="http://crm.shop.example/events"))
    loaded = load_policy(written(tmp_path, text))
    assert admission_errors(loaded) == ()  # development: fine
    (error,) = admission_errors(loaded, production=True)
    assert error.key == "events.webhooks[0].url"
    assert error.line == line_of(text, "- url: http://")
    assert "https only" in error.message
    assert error.fix == "use an https:// URL"


INTERNAL_HOSTS = [
    "127.0.0.1",
    "[::1]",
    "10.1.2.3",
    "192.168.0.10",
    "169.254.169.254",  # a cloud's metadata service
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "localhost",
    "hooks.localhost",
    "127.1",  # shorthands resolvers read as 127.0.0.1
    "2130706433",
    "0.0.0.0",  # noqa: S104 - a host a URL names, not one bound to
]


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_production_refuses_a_literal_internal_host(tmp_path: Path, host: str) -> None:
    text = with_webhooks(webhook(url=f"https://{host}:8443/events"))
    loaded = load_policy(written(tmp_path, text))
    assert admission_errors(loaded) == ()  # development: loopback receivers are how one tries webhooks
    (error,) = admission_errors(loaded, production=True)
    assert error.key == "events.webhooks[0].url"
    assert "loopback, private or link-local" in error.message


@pytest.mark.parametrize("host", ["crm.shop.example", "93.184.215.14", "[2606:4700::1111]", "10.example"])
def test_public_hosts_and_names_pass_at_load_time(host: str) -> None:
    assert not internal_host(host.strip("[]"))


def test_every_webhook_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = with_webhooks(webhook(url="http://127.0.0.1/a", secret_env="UNSET_ONE"), webhook(url="https://10.0.0.1/b"))
    errors = admission_errors(load_policy(written(tmp_path, text)), production=True)
    assert [e.key for e in errors] == [
        "events.webhooks[0].secret_env",
        "events.webhooks[0].url",
        "events.webhooks[0].url",
        "events.webhooks[1].url",
    ]


# ------------------------------------------------------------------ regapi policy check


def regapi_check(directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGAPI_") and k != "SHOP_HOOK"}
    return subprocess.run(
        [sys.executable, "-m", "api", "policy", "check", str(directory)],
        cwd=REPO,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_policy_check_reports_webhook_problems_of_its_environment(tmp_path: Path) -> None:
    text = with_webhooks(webhook(url="http://crm.shop.example/events"))
    path = written(tmp_path, text)

    unset = regapi_check(tmp_path)
    assert unset.returncode == 1
    line = line_of(text, "secret_env: SHOP_HOOK")
    assert f"{path}:{line}: events.webhooks[0].secret_env: the variable SHOP_HOOK is not set" in unset.stderr

    ready = regapi_check(tmp_path, SHOP_HOOK=SECRET)
    assert ready.returncode == 0, ready.stderr
    assert ready.stdout.startswith("ok  shop")

    production = regapi_check(tmp_path, SHOP_HOOK=SECRET, REGAPI_ENV="production")
    assert production.returncode == 1
    assert f"{path}:{line_of(text, '- url:')}: events.webhooks[0].url: production sends events over https" in (
        production.stderr
    )
    assert SECRET[6:] not in unset.stderr + ready.stdout + production.stderr
