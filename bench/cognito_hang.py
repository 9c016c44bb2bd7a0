"""How long a caller waits when Cognito hangs: the aws backend against `regapi cognito serve` behind the
tests' fault-injecting proxy (tests/helpers/proxy.py), which holds every request unanswered.

`.venv/bin/python bench/cognito_hang.py [--timeout SECONDS] [--calls N]` prints the answer times of one
call, of N calls released together (more than the 40 slots for Cognito calls), and of an unrelated
confirmSignUp sent while hung calls hold every slot. Each answer should be SERVICE_UNAVAILABLE after about
REGAPI_COGNITO_TIMEOUT (default 10 s), never more.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the proxy and the provisioning are the tests' own helpers

from tests.helpers import DEMO_POLICIES, keep_away_from_aws  # noqa: E402
from tests.helpers.proxy import Fault, FaultProxy, api_behind  # noqa: E402
from tests.helpers.server import provision_remote  # noqa: E402

SIGN_UP = "mutation($i: SignUpInput!) { signUp(input: $i) { __typename ... on RegistrationError { code } } }"
CONFIRM = (
    "mutation($i: ConfirmSignUpInput!) { confirmSignUp(input: $i) { __typename ... on RegistrationError { code } } }"
)


def sign_up(n: int) -> dict[str, Any]:
    attributes = [{"name": "name", "value": "Hang"}, {"name": "custom:plan", "value": "free"}]
    username = f"hang-{uuid.uuid4().hex[:8]}@shop.example"
    return {
        "query": SIGN_UP,
        "variables": {
            "i": {"tenant": "shop", "username": username, "password": f"hang pass {n}", "attributes": attributes}
        },
    }


@contextmanager
def cognito_serve() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "cognito", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if match := re.search(r"listening on (http://\S+)", line):
                yield match.group(1)
                return
        raise RuntimeError("regapi cognito serve did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)


def timed_burst(url: str, bodies: list[dict[str, Any]], timeout: float) -> list[tuple[float, str]]:
    """Each body on its own connection, released together; (seconds from release to answer, code)."""
    clients = [
        httpx.Client(base_url=url, timeout=timeout, headers={"X-Forwarded-For": f"10.1.{i // 250}.{i % 250 + 1}"})
        for i in range(len(bodies))
    ]
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[float, str]] = [(0.0, "not sent")] * len(bodies)

    def send(i: int) -> None:
        clients[i].get("/healthz")
        barrier.wait()
        start = time.monotonic()
        data = clients[i].post("/graphql", json=bodies[i]).json()["data"]
        (value,) = data.values()
        answers[i] = (time.monotonic() - start, value.get("code") or value["__typename"])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return answers


def report(label: str, answers: list[tuple[float, str]]) -> None:
    times = sorted(t for t, _ in answers)
    codes = sorted({c for _, c in answers})
    median = statistics.median(times)
    print(
        f"{label:<50} n={len(times):<3} min {times[0]:5.2f} s  median {median:5.2f} s  max {times[-1]:5.2f} s  {codes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", default="10", help="REGAPI_COGNITO_TIMEOUT of the API (seconds)")
    parser.add_argument("--calls", type=int, default=60, help="calls released together into the hang")
    args = parser.parse_args()
    keep_away_from_aws()
    logging.getLogger("regapi").setLevel(logging.ERROR)  # one WARNING per abandoned call otherwise
    patience = float(args.timeout) * 5 + 30
    with cognito_serve() as endpoint, FaultProxy(endpoint) as proxy, tempfile.TemporaryDirectory() as directory:
        target = Path(directory)
        client_secrets = provision_remote(endpoint, DEMO_POLICIES, target)
        with api_behind(proxy, endpoint, target, client_secrets, REGAPI_COGNITO_TIMEOUT=args.timeout) as api:
            url = str(api.http.base_url)
            print(f"REGAPI_COGNITO_TIMEOUT={args.timeout}, every Cognito request held unanswered by the proxy")
            with proxy.fault(Fault.HANG):
                report("one signUp", timed_burst(url, [sign_up(0)], patience))
                report(
                    f"{args.calls} signUps released together",
                    timed_burst(url, [sign_up(i) for i in range(args.calls)], patience),
                )
                # 40 hung calls hold every slot; then one unrelated confirmSignUp.
                holders = threading.Thread(target=timed_burst, args=(url, [sign_up(i) for i in range(40)], patience))
                holders.start()
                waited = time.monotonic() + patience
                while proxy.held < 40 and time.monotonic() < waited:
                    time.sleep(0.01)
                confirm = {
                    "query": CONFIRM,
                    "variables": {"i": {"tenant": "shop", "username": "someone@shop.example", "code": "123456"}},
                }
                report("confirmSignUp while 40 hung calls hold the slots", timed_burst(url, [confirm], patience))
                holders.join()


if __name__ == "__main__":
    main()
