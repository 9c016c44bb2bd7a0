"""A token per attempt sent to Cognito (api.cognito.calls, api.cognito.budget), on the aws backend against
`regapi cognito serve` behind the fault-injecting proxy (tests/helpers/proxy.py).

A throttled sign-up is tried again only with a token of its own: on a quota of one token, the retry is
refused by regapi (SERVICE_UNAVAILABLE with the quota's retryAfterSeconds) and Cognito sees one request,
not three; the metrics count that call as throttled, and a call refused before its first attempt as no
Cognito call at all. A call takes its token when it goes out, once it holds a connection slot: calls
queued behind a slow Cognito do not go out together later above the rate.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.cognito.adapter import CognitoAdapter, create_client
from api.cognito.buckets import MemoryBuckets
from api.cognito.budget import CallBudget
from api.cognito.port import PoolBinding, ProviderError
from api.cognito.quotas import Quotas, capacity
from tests.helpers.burst import result
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs
from tests.helpers.proxy import Fault, FaultProxy, proxied_api

# UserCreation at one token every two seconds: a bucket of one token, and a refusal's wait of 1 or 2 s
# (Cognito's own SERVICE_UNAVAILABLE says 5).
QUOTAS = "UserCreation=0.5"


@pytest.fixture(scope="module")
def quota_api(
    proxy: FaultProxy,
    standalone_cognito: str,
    policy_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    log_capture: list[str],
) -> Iterator[Api]:
    target = tmp_path_factory.mktemp("quota-policies")
    with proxied_api(proxy, standalone_cognito, policy_dir, target, log_capture, REGAPI_COGNITO_QUOTAS=QUOTAS) as api:
        yield api


def metric(served: Api, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`, as GET /metrics gives them."""
    total = 0.0
    for line in served.http.get("/metrics").text.splitlines():
        found = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if found and all(f'{key}="{value}"' in found.group(1) for key, value in labels.items()):
            total += float(found.group(2))
    return total


def sign_up(api: Api) -> dict[str, Any]:
    username = f"qa-{uuid.uuid4().hex[:8]}@shop.example"
    variables = {
        "input": {
            "tenant": "shop",
            "username": username,
            "password": f"Attempt pass {uuid.uuid4().hex[:6]}",
            "attributes": attrs(name="Ann Example", custom_plan="pro"),
        }
    }
    answer: dict[str, Any] = result(api.gql(SIGN_UP, variables))
    return answer


def test_a_throttled_call_is_tried_again_only_with_a_token_of_its_own(quota_api: Api, proxy: FaultProxy) -> None:
    """Cognito throttles every SignUp. The first attempt takes the bucket's one token and is throttled; its
    retry finds no token and is refused by regapi without being sent, with the quota's wait. The next
    sign-up, refused before its first attempt, is no Cognito call: nothing reaches the proxy, and the
    metrics count a quota refusal, not a call."""
    calls = "regapi_cognito_calls_total"
    sent, throttled = proxy.seen["SignUp"], metric(quota_api, calls, api="sign_up", outcome="throttled")
    every_call = metric(quota_api, calls, api="sign_up")
    refused = metric(quota_api, "regapi_quota_refused_total", tenant="shop", category="UserCreation")
    with proxy.fault(Fault.THROTTLE, only={"SignUp"}):
        first, second = sign_up(quota_api), sign_up(quota_api)
    assert (first["code"], second["code"]) == ("SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"), (first, second)
    assert first["retryAfterSeconds"] in (1, 2), first  # the quota's wait, not Cognito's 5
    assert second["retryAfterSeconds"] in (1, 2), second
    assert proxy.seen["SignUp"] == sent + 1  # one attempt reached Cognito, not three
    assert metric(quota_api, calls, api="sign_up", outcome="throttled") == throttled + 1
    assert metric(quota_api, calls, api="sign_up") == every_call + 1  # the second sign-up: no Cognito call
    assert metric(quota_api, "regapi_quota_refused_total", tenant="shop", category="UserCreation") == refused + 2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_calls_queued_behind_a_slow_cognito_take_their_tokens_when_they_go_out(
    proxy: FaultProxy, standalone_cognito: str
) -> None:
    """One connection slot, UserList at 2 a second (a bucket of 2) on a manual clock. A's ListUsers hangs in
    Cognito, holding the slot; B, C and D wait for it. A second later E and F come. Once Cognito answers
    again, at most the bucket's 2 ListUsers reach it in that second: the calls that waited take their
    tokens when they go out, not when they started waiting (they would then go out with E's and F's
    tokens, 4 at once)."""
    pools = create_client("us-east-1", standalone_cognito)
    pool_id = pools.create_user_pool(PoolName=f"slots-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    pool = PoolBinding("slots", pool_id, "unused", None)
    clock = Clock()
    budget = CallBudget(10, concurrency=1)
    quotas = Quotas({"UserList": 2}, MemoryBuckets(clock), clock=clock)
    adapter = CognitoAdapter(create_client("us-east-1", proxy.url, budget), budget, quotas=quotas)

    async def main() -> int:
        proxy.set(Fault.HANG, only={"ListUsers"}, times=1)
        started = [asyncio.create_task(adapter.list_users(pool))]
        assert await asyncio.to_thread(proxy.any_held.wait, 10)
        started += [asyncio.create_task(adapter.list_users(pool)) for _ in range(3)]
        await asyncio.sleep(0.2)  # B, C and D reach the wait for the slot
        sent = proxy.seen["ListUsers"]
        clock.now += 1  # the bucket is full again
        started += [asyncio.create_task(adapter.list_users(pool)) for _ in range(2)]
        await asyncio.sleep(0.2)
        proxy.set(Fault.PASS)  # A's request is let go (its connection reset)
        answers = await asyncio.gather(*started, return_exceptions=True)
        assert all(isinstance(a, list | ProviderError) for a in answers), answers
        return proxy.seen["ListUsers"] - sent

    assert asyncio.run(main()) <= capacity(2)
