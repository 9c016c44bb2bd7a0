"""The start-up check of each pool on the aws backend (api.pools.ConfiguredPools, api.cognito.calls.describe_pool)
under Cognito's quotas, against `regapi cognito serve` behind the fault-injecting proxy.

DescribeUserPool and DescribeUserPoolClient take their tokens from the quota buckets every process shares
(UserPoolRead and UserPoolClientRead, in Redis when configured), waiting for one rather than refusing; a
check that Cognito throttled is sent again, so in production a client without a secret is still refused.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis
import yaml

from api import backends
from api.cognito.adapter import create_client
from api.cognito.buckets import MemoryBuckets
from api.cognito.pool_config import client_parameters, pool_parameters
from api.cognito.port import ProviderError, ProviderErrorCode
from api.cognito.quotas import Quotas
from api.policy import Policy, load_policy
from api.pools import ConfigurationError
from api.settings import Settings
from tests.helpers import TEST_POLICIES
from tests.helpers.proxy import Fault, FaultProxy

# A database of the session's redis-server for this module alone: the buckets' keys have no prefix of
# their own when built from the settings.
DATABASE = 9


def public_pool(endpoint: str, tmp_path: Path) -> Policy:
    """quick.yaml's tenant on a pool of its own whose app client has no secret (nor a client_secret_env)."""
    data = yaml.safe_load((TEST_POLICIES / "quick.yaml").read_text(encoding="utf-8"))
    name = f"public{uuid.uuid4().hex[:8]}"
    data["cognito"]["user_pool"] = name
    draft = tmp_path / "draft" / "quick.yaml"
    draft.parent.mkdir()
    draft.write_text(yaml.safe_dump(data), encoding="utf-8")
    policies = [load_policy(draft).policy]
    client = create_client("us-east-1", endpoint)
    pool_id = client.create_user_pool(**pool_parameters(name, policies))["UserPool"]["Id"]
    app = client.create_user_pool_client(UserPoolId=pool_id, **{**client_parameters(policies), "GenerateSecret": False})
    data["cognito"].update(user_pool_id=pool_id, client_id=app["UserPoolClient"]["ClientId"])
    (tmp_path / "quick.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_policy(tmp_path / "quick.yaml").policy


def test_a_throttled_check_is_sent_again_and_production_still_refuses_a_client_without_secret(
    proxy: FaultProxy, standalone_cognito: str, tmp_path: Path
) -> None:
    """Cognito throttles the first two DescribeUserPoolClient: the check sends it again (three in all) and
    refuses the public client in production, instead of giving up on the check and serving the pool."""
    policy = public_pool(standalone_cognito, tmp_path)
    backend = backends.aws(Settings(backend="aws", cognito_endpoint=proxy.url, production=True))
    before = proxy.seen["DescribeUserPoolClient"]
    with (
        proxy.fault(Fault.THROTTLE, only={"DescribeUserPoolClient"}, times=2),
        pytest.raises(ConfigurationError, match="its app client has no secret"),
    ):
        backend.binder.bind(policy.cognito.user_pool, [policy])
    assert proxy.seen["DescribeUserPoolClient"] == before + 3


def test_the_checks_take_their_tokens_from_the_buckets_every_process_shares(
    proxy: FaultProxy, standalone_cognito: str, redis_url: str, tmp_path: Path
) -> None:
    """With Redis, the describe calls of a check draw on the shared UserPoolRead and UserPoolClientRead
    buckets, as the calls made outside any request ('-'), so that the checks of every worker and host
    together stay under those quotas."""
    url = redis_url.rpartition("/")[0] + f"/{DATABASE}"
    shared = redis.Redis.from_url(url)
    shared.flushdb()
    policy = public_pool(standalone_cognito, tmp_path)
    backend = backends.aws(Settings(backend="aws", cognito_endpoint=proxy.url, redis_url=url))
    backend.binder.bind(policy.cognito.user_pool, [policy])  # in development, a public client is a warning
    for category in ("UserPoolRead", "UserPoolClientRead"):
        assert b"s:-" in shared.hkeys(f"regapi:quota:{category}"), category
    shared.flushdb()


def test_pace_waits_for_a_token_and_gives_up_only_beyond_its_bound() -> None:
    """20 a second: 25 calls in a row all get a token, the last ones after a wait for it (take would have
    refused them). One every 100 s: the second call would wait longer than pace's bound, and is refused
    at once with the wait."""
    quick = Quotas({"UserPoolRead": 20}, MemoryBuckets())
    for _ in range(25):
        quick.pace("describe_user_pool")
    slow = Quotas({"UserPoolRead": 0.01}, MemoryBuckets())
    slow.pace("describe_user_pool")
    with pytest.raises(ProviderError) as refused:
        slow.pace("describe_user_pool")
    assert (refused.value.code, refused.value.retry_after) == (ProviderErrorCode.UNAVAILABLE, 100)
