"""One tenant floods, the other keeps its share: Cognito's quota shared fairly (api.cognito.buckets).

`.venv/bin/python bench/quota_fairness.py [--quick]` serves two self sign-up tenants on the embedded
Cognito with a small UserCreation quota (REGAPI_COGNITO_QUOTAS=UserCreation=20, so a bucket of 20 and a
fair share of 10 a second each while both are active), and measures over HTTP:

1. tenant B alone at a modest rate (4 sign-ups a second, below its share): the baseline;
2. the same B while tenant A floods (32 clients sending sign-ups back to back, from half a second after B
   starts): B's success rate should stay as in round 1;
3. the same flood on one bucket for everyone (every call counted as one tenant's): what B would see
   without the fair shares, for comparison.

For each round: B's successes and success rate, A's successes and refusals (SERVICE_UNAVAILABLE with
retryAfterSeconds, no Cognito call), and the sign-ups Cognito made per second, from the embedded outbox's
timestamps (one code a sign-up): in the first second, in the busiest later one, and the mean (at most 20 a
second, plus the full bucket's 20 once over the round). Judge the success rates, not the latencies: on 2
cores the flood slows every answer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the live server is the tests' own helper

from api.app import create_app  # noqa: E402
from api.cognito import buckets  # noqa: E402
from api.settings import Settings  # noqa: E402
from tests.helpers.server import LiveServer  # noqa: E402

QUOTA = 20
B_RATE = 4.0
FLOODERS = 32
SIGN_UP = (
    "mutation($i: SignUpInput!) { signUp(input: $i) { __typename "
    "... on RegistrationError { code retryAfterSeconds } } }"
)
POLICY = """version: 1
display_name: {name}
cognito:
  user_pool: {name}
registration:
  self_signup: true
username:
  kind: email
password:
  min_length: 8
attributes:
  email:
    required: [sign_up]
    format: email
limits:
  sign_ups_per_address: 1000000 per hour
  sign_ups_per_tenant: 1000000 per hour
"""


@dataclass
class Tally:
    ok: int = 0
    refused: int = 0
    other: list[str] = field(default_factory=list)

    def add(self, answer: dict[str, Any]) -> None:
        value = answer.get("data", {}).get("signUp") or {}
        if value.get("__typename") == "SignUpSuccess":
            self.ok += 1
        elif value.get("code") == "SERVICE_UNAVAILABLE" and value.get("retryAfterSeconds"):
            self.refused += 1
        else:
            self.other.append(str(answer)[:200])

    @property
    def sent(self) -> int:
        return self.ok + self.refused + len(self.other)


def sign_up(client: httpx.Client, tenant: str, tally: Tally) -> None:
    username = f"{tenant}-{uuid.uuid4().hex[:12]}@{tenant}.example"
    variables = {"i": {"tenant": tenant, "username": username, "password": "bench pass 1", "attributes": []}}
    tally.add(client.post("/graphql", json={"query": SIGN_UP, "variables": variables}).json())


def modest(url: str, seconds: float, tally: Tally) -> None:
    """B: one sign-up every 1/B_RATE seconds, on a schedule (a slow answer does not shift the next)."""
    with httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-For": "10.2.0.1"}) as client:
        start = time.monotonic()
        for n in range(int(seconds * B_RATE)):
            time.sleep(max(0.0, start + n / B_RATE - time.monotonic()))
            sign_up(client, "beta", tally)


def flood(url: str, until: float, tally: Tally, n: int) -> None:
    """A: sign-ups back to back until `until`."""
    with httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-For": f"10.1.{n}.1"}) as client:
        while time.monotonic() < until:
            sign_up(client, "alpha", tally)


def per_second(url: str) -> tuple[int, int, float]:
    """Sign-ups Cognito made in one-second bins from the first: in the first (where a full bucket may add its
    20), the most in any later one, and the mean a second."""
    sent = [
        datetime.fromisoformat(m["sentAt"]).timestamp()
        for tenant in ("alpha", "beta")
        for m in httpx.get(f"{url}/dev/outbox", params={"tenant": tenant}).json()
        if m["kind"] == "SIGN_UP_CODE"
    ]
    if not sent:
        return 0, 0, 0.0
    first = min(sent)
    bins: dict[int, int] = {}
    for at in sent:
        bins[int(at - first)] = bins.get(int(at - first), 0) + 1
    later = [count for second, count in bins.items() if second > 0]
    return bins.get(0, 0), max(later, default=0), len(sent) / max(1.0, max(sent) - first)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """The embedded outbox prints every code to stderr: thousands of lines under a flood."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def round_of(policies: Path, seconds: float, *, flooding: bool) -> tuple[Tally, Tally, tuple[int, int, float]]:
    settings = Settings(policy_dir=policies, trusted_proxies=("127.0.0.1",), cognito_quotas=(("UserCreation", QUOTA),))
    alpha, beta = Tally(), Tally()
    with quiet_stderr(), LiveServer(create_app(settings)) as server:
        threads = [threading.Thread(target=modest, args=(server.url, seconds, beta))]
        if flooding:
            until = time.monotonic() + 0.5 + seconds
            threads += [threading.Thread(target=flood, args=(server.url, until, alpha, n)) for n in range(FLOODERS)]
        threads[0].start()
        time.sleep(0.5 if flooding else 0)  # B is the established tenant; A's storm begins
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join()
        rates = per_second(server.url)
    return alpha, beta, rates


@contextlib.contextmanager
def one_bucket_for_everyone() -> Iterator[None]:
    """Every call counted as one tenant's: a single shared bucket, first come first served."""
    fair = buckets.take
    buckets.take = lambda bucket, tenant, now, rate, capacity: fair(bucket, "everyone", now, rate, capacity)
    try:
        yield
    finally:
        buckets.take = fair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 seconds a round instead of 10")
    args = parser.parse_args()
    seconds = 4.0 if args.quick else 10.0
    with tempfile.TemporaryDirectory() as directory:
        policies = Path(directory)
        for name in ("alpha", "beta"):
            (policies / f"{name}.yaml").write_text(POLICY.format(name=name), encoding="utf-8")
        print(
            f"UserCreation quota {QUOTA}/s (bucket {QUOTA}); B sends {B_RATE:g} sign-ups/s for {seconds:g} s; "
            f"A floods with {FLOODERS} clients"
        )
        print(
            f"{'round':<34} {'B ok':>5} {'B rate':>7} {'A ok':>6} {'A refused':>10} "
            f"{'1st s':>6} {'max/s':>6} {'mean/s':>7}"
        )
        rounds = [
            ("1. B alone", False, contextlib.nullcontext()),
            ("2. A floods, fair shares", True, contextlib.nullcontext()),
            ("3. A floods, one bucket (compare)", True, one_bucket_for_everyone()),
        ]
        for label, flooding, context in rounds:
            with context:
                alpha, beta, (first, most, mean) = round_of(policies, seconds, flooding=flooding)
            rate = beta.ok / beta.sent if beta.sent else 0.0
            a_ok, a_refused = (f"{alpha.ok}", f"{alpha.refused}") if flooding else ("-", "-")
            print(
                f"{label:<34} {beta.ok:>5} {rate:>7.0%} {a_ok:>6} {a_refused:>10} {first:>6} {most:>6} {mean:>7.1f}",
                flush=True,
            )
            for other in (alpha.other + beta.other)[:3]:
                print(f"    unexpected answer: {other}")
        print(
            f"1st s, max/s: sign-ups Cognito made in the first second and in the busiest later one: at most {QUOTA}, "
            f"and a full bucket adds up to {QUOTA} once\n(the code's timestamp, not the token's, moves a few "
            f"between seconds); mean/s: over the round, at most {QUOTA} + {QUOTA}/{seconds:g} s (the rate, and the "
            f"full bucket once) = {QUOTA + QUOTA / seconds:g}"
        )


if __name__ == "__main__":
    main()
