"""The real app served by uvicorn on a loopback port, and pools provisioned on a remote Cognito endpoint."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import uvicorn
import yaml
from starlette.applications import Starlette

from api.cognito.adapter import create_client
from api.cognito.pool_config import client_parameters, pool_parameters
from api.policy import TenantPolicy, load_directory
from api.server import http_protocol


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port: bind it before building an app that must know its own port
    (the embedded Cognito's issuer names it), then hand it to LiveServer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """uvicorn in a thread, on a socket bound before start so the port is known and never raced; with the
    protocol `regapi serve` runs (api.server), so the header limits hold here too."""

    def __init__(self, app: Starlette, *, header_timeout: float = 10.0, sock: socket.socket | None = None) -> None:
        self._sock = sock or loopback_socket()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            access_log=False,
            proxy_headers=False,  # as regapi serve: the client's address is the app's to find
            http=http_protocol(header_timeout),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@contextlib.contextmanager
def variables_set(values: Mapping[str, str]) -> Iterator[None]:
    """The variables set in this process's environment for the block (client secrets, which binding a
    pool reads), and put back as they were afterwards."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def provision_remote(url: str, policy_dir: Path, target: Path) -> dict[str, str]:
    """Create the tenants' pools on a Cognito endpoint as an operator would, and write policies naming them.

    Returns the environment variables holding client secrets.
    """
    client = create_client("us-east-1", url)
    tenants = load_directory(policy_dir)
    pools: dict[str, list[TenantPolicy]] = {}
    for tenant in tenants.values():
        pools.setdefault(tenant.policy.cognito.user_pool, []).append(tenant)
    secrets: dict[str, str] = {}
    for name, members in pools.items():
        policies = [t.policy for t in members]
        pool_id = client.create_user_pool(**pool_parameters(name, policies))["UserPool"]["Id"]
        app_client = client.create_user_pool_client(UserPoolId=pool_id, **client_parameters(policies))["UserPoolClient"]
        # As an operator would: the pool's client has a secret, named by every tenant using the pool.
        secret_env = f"{name.upper()}_CLIENT_SECRET"
        secrets[secret_env] = app_client["ClientSecret"]
        for tenant in members:
            data = yaml.safe_load(tenant.path.read_text(encoding="utf-8"))
            data["cognito"].update(user_pool_id=pool_id, client_id=app_client["ClientId"], client_secret_env=secret_env)
            (target / tenant.path.name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return secrets
