"""Cognito's quotas shared fairly between tenants (api.cognito.quotas, api.cognito.buckets).

The bucket logic runs on a manual clock, in memory and in a real redis-server (the Lua script, given the
clock's time instead of Redis's TIME): never more than the rate plus the capacity over any window, a lone
tenant gets the whole rate, two flooding tenants about half each, a lone burst borrows what quiet tenants
hold beyond their last token, a quiet tenant's calls succeed while another floods, and its lent share comes
back when it gets busy. Two bucket objects on one Redis (two processes' view) share one bucket. Through
HTTP: a burst of sign-ups on a small UserCreation quota is answered SERVICE_UNAVAILABLE with
retryAfterSeconds beyond the quota, and the embedded Cognito never saw those calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
import pytest
import redis

from api.app import create_app
from api.cognito.buckets import ACTIVE_SECONDS, Buckets, MemoryBuckets, RedisBuckets
from api.cognito.port import ProviderError, ProviderErrorCode
from api.cognito.quotas import CATEGORY_OF, DEFAULT_RATES, OPERATIONS, Quotas, capacity, rates
from api.observability import scope
from api.observability.scope import RequestScope
from api.pools import ConfigurationError
from api.settings import Settings
from tests.helpers import ROOT, TEST_POLICIES, TRUSTED
from tests.helpers.burst import burst_to, result
from tests.helpers.documents import SIGN_UP
from tests.helpers.logs import lines_above_info
from tests.helpers.processes import free_port
from tests.helpers.server import LiveServer

API = ROOT / "api"
CATEGORY = "UserCreation"
RATE = 10.0
START = 1000.0  # the manual clock's first reading


# ------------------------------------------------------------------ the buckets, on a manual clock


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


Factory = Callable[[Clock], Buckets]
Try = tuple[float, str]  # when (seconds from the start), which tenant
Answer = tuple[float, str, float]  # when, which tenant, the wait (0: taken)


@pytest.fixture(params=["memory", "redis"])
def buckets(request: pytest.FixtureRequest) -> Factory:
    """Makes the buckets under test on a clock: in memory, or in Redis under a prefix of the test's own."""
    if request.param == "memory":
        return MemoryBuckets
    url: str = request.getfixturevalue("redis_url")
    prefix = f"regapi:quota:test-{uuid.uuid4().hex[:8]}:"
    return lambda clock: RedisBuckets(url, prefix=prefix, clock=clock)


def run(make: Factory, tries: Iterable[Try], rate: float = RATE) -> list[Answer]:
    """Each try in time order, on one bucket object; what each was answered."""

    async def main() -> list[Answer]:
        clock = Clock()
        bucket = make(clock)
        answers = []
        for at, tenant in sorted(tries):
            clock.now = START + at
            answers.append((at, tenant, await bucket.take(CATEGORY, tenant, rate, capacity(rate))))
        return answers

    return asyncio.run(main())


def every(tenant: str, seconds: float, start: float, end: float) -> list[Try]:
    """A try each `seconds` from `start` to before `end`."""
    count = round((end - start) / seconds)
    return [(start + n * seconds, tenant) for n in range(count)]


def taken(answers: list[Answer], tenant: str | None = None, start: float = 0, end: float = 1e9) -> int:
    return sum(1 for at, who, wait in answers if wait == 0 and who == (tenant or who) and start <= at < end)


def test_never_more_than_the_rate_plus_the_capacity_over_any_window(buckets: Factory) -> None:
    """Five tenants come and go, flooding or trickling, so the number of active tenants keeps changing: over
    every window of W seconds, at most RATE * W + capacity calls are let through."""
    chance = random.Random(12)  # a repeatable jitter
    plan = [("a", 0.01, 0, 20), ("b", 0.013, 3, 9), ("c", 0.3, 1, 18), ("d", 0.007, 8, 14), ("e", 0.05, 12, 20)]
    tries = [
        (at + chance.uniform(0, 0.002), name)
        for name, gap, start, end in plan
        for at, _ in every(name, gap, start, end)
    ]
    answers = run(buckets, tries)
    times = [at for at, _, wait in answers if wait == 0]
    for window in (0.5, 1, 3, 7):
        most = max(sum(1 for t in times if first <= t <= first + window) for first in times)
        assert most <= RATE * window + capacity(RATE), (window, most)
    assert len(times) >= RATE * 19  # and the quota was used: somebody flooded all along


def test_a_lone_tenant_gets_the_whole_rate(buckets: Factory) -> None:
    answers = run(buckets, every("a", 0.01, 0, 10))
    # The full bucket (10), then 10 a second for 10 seconds.
    assert 105 <= taken(answers) <= 110, taken(answers)


def test_two_tenants_flooding_get_about_half_each(buckets: Factory) -> None:
    answers = run(buckets, every("a", 0.01, 0, 10) + every("b", 0.01, 0.005, 10))
    a, b = taken(answers, "a"), taken(answers, "b")
    assert a + b <= 110
    assert 0.45 <= a / (a + b) <= 0.55, (a, b)


def test_a_lone_burst_borrows_what_quiet_tenants_hold_beyond_their_last_token(buckets: Factory) -> None:
    """b, c and d called once and are still active, their shares full. a's burst of 20 at once gets its own
    share and everything the others hold beyond one token each: 7 of the bucket's 10 (the one-token reserve
    of each is why not 10). Each of the others then still gets its call, and no more."""
    quiet = [(0, "b"), (0.1, "c"), (0.2, "d")]
    after = [(2.001, "b"), (2.002, "c"), (2.003, "d"), (2.004, "b")]
    answers = run(buckets, quiet + [(2, "a")] * 20 + after)
    assert taken(answers, "a") == 7
    assert [wait == 0 for at, _, wait in answers if at > 2] == [True, True, True, False]


def test_a_quiet_tenants_share_holds_while_another_floods(buckets: Factory) -> None:
    """b asks 2 calls a second, under its share (5 of 10): each succeeds, however hard a floods, and a
    borrows what b leaves."""
    quiet = every("b", 0.5, 0, 10)
    answers = run(buckets, every("a", 0.01, 0, 10) + quiet)
    assert taken(answers, "b") == len(quiet)
    assert taken(answers, "a") >= 0.7 * RATE * 10  # 8 a second once b's bucket is full, not 5


def test_the_lent_share_returns_when_the_quiet_tenant_gets_busy(buckets: Factory) -> None:
    """b trickles for 5 s (a borrows its unused share), then floods too: from then on they split the rate."""
    answers = run(buckets, every("a", 0.01, 0, 15) + every("b", 1, 0, 5) + every("b", 0.01, 5.005, 15))
    assert taken(answers, "a", 1, 5) >= 0.8 * RATE * 4  # lent to a while b is quiet
    a, b = taken(answers, "a", 7, 15), taken(answers, "b", 7, 15)
    assert 0.4 <= b / (a + b) <= 0.6, (a, b)  # and back to b once it is busy


def test_a_tenant_gone_quiet_gives_its_share_back_and_waits_for_it_on_return(buckets: Factory) -> None:
    """b stops for longer than ACTIVE_SECONDS: a gets the whole rate. Back while a floods, b finds every token
    spent; it is told to wait at most n/RATE seconds (0.2), and its call after that succeeds."""
    back = 2 + ACTIVE_SECONDS + 2
    answers = run(buckets, every("a", 0.01, 0, 12) + every("b", 0.05, 0, 2) + [(back, "b"), (back + 0.2, "b")])
    assert taken(answers, "a", back - 4, back) >= 0.95 * RATE * 4
    (_, _, refused), (_, _, after_wait) = [a for a in answers if a[1] == "b" and a[0] >= back]
    assert 0 < refused <= 2 / RATE  # (a fraction of a token nobody was owed may have come with its share)
    assert after_wait == 0


def test_two_bucket_objects_on_one_redis_share_one_bucket(redis_url: str) -> None:
    """Two processes' view: each has its own RedisBuckets, on Redis's own clock. One tenant's calls through
    both get one bucket's worth (5, and what refills in the milliseconds the loop takes), not 5 each; two
    tenants, one on each, share it."""
    prefix = f"regapi:quota:shared-{uuid.uuid4().hex[:8]}:"

    async def main(category: str, tenants: str) -> list[int]:
        views = [RedisBuckets(redis_url, prefix=prefix), RedisBuckets(redis_url, prefix=prefix)]
        got = [0, 0]
        for n in range(20):
            got[n % 2] += await views[n % 2].take(category, tenants[n % 2], 5, capacity(5)) == 0
        return got

    one = asyncio.run(main("UserCreation", "aa"))
    assert 5 <= sum(one) <= 6, one
    assert min(one) >= 2, one
    two = asyncio.run(main("UserList", "ab"))
    assert 5 <= sum(two) <= 6, two
    assert min(two) >= 1, two
    # Nothing but tenant ids and categories in the keys and their fields, never a username.
    client = redis.Redis.from_url(redis_url)
    assert sorted(client.keys(prefix + "*")) == [f"{prefix}UserCreation".encode(), f"{prefix}UserList".encode()]
    assert sorted(client.hkeys(f"{prefix}UserList")) == [b"g", b"s:a", b"s:b", b"t:a", b"t:b", b"u"]
    assert 0 < client.ttl(f"{prefix}UserList") <= ACTIVE_SECONDS + 3  # forgotten once nobody is active


def test_without_redis_a_process_counts_alone_on_its_part_of_the_host(caplog: pytest.LogCaptureFixture) -> None:
    """Redis unreachable: the calls go on under this process's own buckets (one warning), not all refused.
    One of two workers of the host keeps half of each quota, so that the two together stay under it."""

    async def main(workers: int) -> list[bool]:
        gone = RedisBuckets(f"redis://127.0.0.1:{free_port()}/0", workers=workers)
        return [await gone.take(CATEGORY, "a", 4, capacity(4)) == 0 for _ in range(6)]

    with caplog.at_level(logging.WARNING, "regapi.cognito"):
        alone, halved = asyncio.run(main(1)), asyncio.run(main(2))
    assert alone == [True] * 4 + [False] * 2
    assert halved == [True] * 2 + [False] * 4
    unreachable = "cognito quota buckets: Redis unreachable (ConnectionError), this process counts alone"
    assert [r.getMessage() for r in caplog.records] == [
        f"{unreachable} (each quota) and tries Redis again every 5 s",
        f"{unreachable} (1/2 of each quota) and tries Redis again every 5 s",
    ]


def test_the_gate_refuses_with_whole_seconds_and_lets_other_categories_pass() -> None:
    """UserCreation at 0.5 a second (a bucket of one token). Outside a request calls have a share of their
    own ('-'), a tenant's requests theirs; refusals say the whole seconds until the share's next token."""
    clock = Clock()
    gate = Quotas({"UserCreation": 0.5}, MemoryBuckets(clock))

    async def attempt(tenant: str | None, at: float) -> ProviderError | None:
        clock.now = START + at
        with scope.entered(RequestScope("r", tenant)) if tenant else contextlib.nullcontext():
            await gate.take("list_users")  # UserList has no quota here: never refused
            try:
                await gate.take("sign_up")
            except ProviderError as error:
                return error
        return None

    async def main() -> list[ProviderError | None]:
        return [await attempt(tenant, at) for tenant, at in ((None, 0), (None, 0), ("quick", 0), ("quick", 4))]

    first, second, third, fourth = asyncio.run(main())
    assert first is None  # the bucket's one token
    assert second is not None
    assert (second.code, second.retry_after) == (ProviderErrorCode.UNAVAILABLE, 2)  # 1 token at 0.5/s
    assert third is not None
    assert third.retry_after == 4  # its share, 0.25/s, starts empty: every token was spent
    assert fourth is None  # and holds a token 4 s later


# ------------------------------------------------------------------ the table and the settings


def test_every_operation_regapi_calls_is_in_exactly_one_category() -> None:
    called = set()
    for path in (API / "cognito").glob("*.py"):
        called |= set(re.findall(r"_call\(\s*pool,\s*\"(\w+)\"", path.read_text(encoding="utf-8")))
    assert len(called) >= 20, called  # the pattern still finds the calls
    assert called <= set(CATEGORY_OF), f"in no category: {sorted(called - set(CATEGORY_OF))}"
    listed = [op for ops in OPERATIONS.values() for op in ops]
    assert len(listed) == len(set(listed)), "an operation in two categories"
    assert set(OPERATIONS) <= set(DEFAULT_RATES)


def test_the_aws_backend_keeps_every_category_and_the_embedded_only_those_named() -> None:
    aws = rates([("UserCreation", 100)], every_category=True)
    assert aws == {**DEFAULT_RATES, "UserCreation": 100}
    assert rates([("UserCreation", 3)], every_category=False) == {"UserCreation": 3}
    assert rates([], every_category=False) == {}


def test_an_unknown_category_refuses_to_start(tmp_path: Path) -> None:
    shutil.copy(TEST_POLICIES / "quick.yaml", tmp_path / "quick.yaml")
    with pytest.raises(ConfigurationError, match="'UserCreaton' is not a Cognito quota category"):
        create_app(Settings(policy_dir=tmp_path, cognito_quotas=(("UserCreaton", 5),)))
    with pytest.raises(ConfigurationError, match="did you mean UserCreation"):
        create_app(Settings(policy_dir=tmp_path, backend="aws", cognito_quotas=(("usercreation", 5),)))
    quotas = "UserCreation=5,Bogus=1"
    served = subprocess.run(
        [sys.executable, "-m", "api", "serve"],
        env={**os.environ, "REGAPI_POLICY_DIR": str(tmp_path), "REGAPI_PORT": "0", "REGAPI_COGNITO_QUOTAS": quotas},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert served.returncode == 1
    assert "refusing to start: REGAPI_COGNITO_QUOTAS: 'Bogus' is not a Cognito quota category" in served.stderr


# ------------------------------------------------------------------ through HTTP


def refusals_counted(url: str) -> float:
    """regapi_quota_refused for the quick tenant's UserCreation, as GET /metrics gives it."""
    text = httpx.get(f"{url}/metrics").text
    found = re.search(r'^regapi_quota_refused_total\{category="UserCreation",tenant="quick"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_burst_beyond_the_quota_is_refused_before_cognito(
    tmp_path: Path, log_capture: list[str], json_log_capture: list[str]
) -> None:
    """UserCreation=3 on the embedded Cognito: of 12 sign-ups released together, the bucket's 3 (and what
    refills meanwhile) reach Cognito; the others answer SERVICE_UNAVAILABLE with retryAfterSeconds, and
    Cognito saw no call for them: no user, no code sent. The refusals write one line, not one each, and
    not as any request's line: a summary of many requests, it carries no request id."""
    shutil.copy(TEST_POLICIES / "quick.yaml", tmp_path / "quick.yaml")
    settings = Settings(policy_dir=tmp_path, trusted_proxies=TRUSTED, cognito_quotas=(("UserCreation", 3),))
    password = f"quota pass {uuid.uuid4().hex[:8]}"
    requests = [
        (
            SIGN_UP,
            {"input": {"tenant": "quick", "username": f"q{n}@quick.example", "password": password, "attributes": []}},
        )
        for n in range(12)
    ]
    first_json = len(json_log_capture)
    with LiveServer(create_app(settings)) as server, lines_above_info() as lines:
        counted = refusals_counted(server.url)
        targets = [(server.url, {"X-Forwarded-For": f"10.77.{n}.1"}) for n in range(12)]
        answers = [result(body) for body in burst_to(targets, requests)]
        sent = httpx.get(f"{server.url}/dev/outbox", params={"tenant": "quick"}).json()
        counted = refusals_counted(server.url) - counted
    succeeded = [a for a in answers if a["__typename"] == "SignUpSuccess"]
    refused = [a for a in answers if a["__typename"] != "SignUpSuccess"]
    assert 3 <= len(succeeded) <= 5, answers
    assert {a["code"] for a in refused} == {"SERVICE_UNAVAILABLE"}, refused
    assert all(a["retryAfterSeconds"] >= 1 for a in refused), refused
    assert len(sent) == len(succeeded)  # one code a sign-up Cognito made; none for the refused
    assert counted == len(refused)  # each refusal counted, though written down once
    quota_lines = [line for line in lines if "cognito quota" in line]
    assert len(quota_lines) == 1, quota_lines
    assert "UserCreation" in quota_lines[0]
    assert "tenant quick" in quota_lines[0]
    as_json = [json.loads(line.partition(" ")[2]) for line in json_log_capture[first_json:] if "cognito quota" in line]
    assert [line.get("request_id") for line in as_json] == [None], as_json
    assert not [line for line in log_capture if password in line]
