"""The webhook checks a policy file cannot pass on its own: its secrets live in the environment, and what
a URL may point at depends on whether this is production. A tenant failing them is refused as a file that
does not load is, at start-up (`admit`), on hot reload (`WebhookAdmission`, the reloader's check) and by
`regapi policy check`; each problem names the file, line and key.

In production a webhook must be https and its host must not be a literal loopback, private or link-local
address (nor `localhost`): the deliverer checks what names resolve to when it sends (api.events.ssrf), and
here an operator learns of the obvious cases at load time. In development loopback receivers are fine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import yaml

from api.events.signing import SECRET_PREFIX, secret_problem
from api.events.ssrf import AddressRefusedError, ascii_host, refusal
from api.policy import PolicyError, PolicyLoadError, TenantPolicy
from api.policy.checks import Problem
from api.policy.loader import located
from api.policy.model import Webhook
from api.policy.store import PolicyStore


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The shorthand forms resolvers accept as IPv4 (127.1, 2130706433, 0x7f.1) without asking DNS.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def internal_host(host: str) -> bool:
    """Whether a URL's host names this machine or a private network by itself, whatever DNS says."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _literal_address(host)
    return address is not None and refusal(str(address)) is not None  # the deliverer's own rule


def _url_problems(at: tuple[str | int, ...], webhook: Webhook) -> list[Problem]:
    parts = urlsplit(webhook.url)
    problems: list[Problem] = []
    if parts.scheme != "https":
        message = "production sends events over https only: the body and its signature would travel in clear"
        problems.append(Problem(at, message, "use an https:// URL"))
    if internal_host(parts.hostname or ""):
        problems.append(
            Problem(
                at,
                "the URL's host is a loopback, private or link-local address: production never sends there "
                "(a policy must not reach the servers behind regapi)",
                "use the partner's public host name",
            )
        )
    return problems


def problems(policy: TenantPolicy, env: Mapping[str, str], *, production: bool) -> list[Problem]:
    """Every webhook problem of one tenant, given the environment and the production flag."""
    found: list[Problem] = []
    for index, webhook in enumerate(policy.policy.events.webhooks):
        at = ("events", "webhooks", index)
        if (wrong := secret_problem(env.get(webhook.secret_env))) is not None:
            fix = f"set {webhook.secret_env} to the webhook's secret: {SECRET_PREFIX} and 24-64 random bytes in base64"
            found.append(Problem((*at, "secret_env"), f"the variable {webhook.secret_env} {wrong}", fix))
        try:
            ascii_host(urlsplit(webhook.url).hostname or "")
        except AddressRefusedError as wrong_host:
            found.append(Problem((*at, "url"), f"the URL's host: {wrong_host}", "write the host as DNS knows it"))
        if production:
            found += _url_problems((*at, "url"), webhook)
    return found


def refusals(policy: TenantPolicy, env: Mapping[str, str], *, production: bool) -> tuple[PolicyError, ...]:
    """The tenant's webhook problems as load errors, each at its line of the file."""
    found = problems(policy, env, production=production)
    if not found:
        return ()
    try:
        return tuple(located(policy.path, found))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # changed on disk since it loaded: no line, same words
        return tuple(PolicyError(policy.path, None, _dotted(p.path), p.message, p.fix) for p in found)


def _dotted(key: tuple[str | int, ...]) -> str:
    return ".".join(f"[{k}]" if isinstance(k, int) else k for k in key).replace(".[", "[")


class WebhookAdmission:
    """The check every loaded policy passes before it serves (start-up and hot reload alike)."""

    def __init__(self, env: Mapping[str, str], *, production: bool) -> None:
        self._env = env
        self._production = production

    def __call__(self, policy: TenantPolicy) -> tuple[PolicyError, ...]:
        if not policy.policy.events.webhooks:
            return ()
        return refusals(policy, self._env, production=self._production)

    def admit(self, store: PolicyStore, *, strict: bool = False) -> None:
        """Start-up: the tenants whose webhooks cannot be served leave the store, their files listed as
        refused (with `strict`, nothing serves: PolicyLoadError)."""
        refused = {tenant.path: errors for tenant in store.values() if (errors := self(tenant))}
        if refused and strict:
            raise PolicyLoadError([error for errors in refused.values() for error in errors])
        for path, errors in refused.items():
            store.remove(path)
            store.refuse(path, errors)
