"""The one boto3 user's machinery: the process's cognito-idp client, and one call within the budget, every
failure leaving as a ProviderError. The calls themselves are in api.cognito.adapter (registration) and
api.cognito.account (the account after registration).

Real Cognito, the embedded Cognito and any Cognito-compatible endpoint differ only in the client
passed in, so the code that production runs is the code the tests run.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
)

from api.cognito.budget import DEFAULT_SECONDS, CallBudget, Gate
from api.cognito.errors import THROTTLED, error_name, http_status, translate
from api.cognito.port import (
    PoolBinding,
    ProviderError,
    ProviderErrorCode,
)
from api.cognito.quotas import Quotas
from api.cognito.shapes import (
    secret_hash,
)
from api.observability import metrics

log = logging.getLogger("regapi.cognito")

DEFAULT_TIMEOUT = DEFAULT_SECONDS
# Calls that change nothing: tried again after any transient failure. A call that changes something is
# tried again only when the failure shows Cognito did not act on it (throttled, or never connected): sent
# twice, AdminCreateUser or SignUp would answer "exists" for the user the first attempt created, and
# ConfirmSignUp "already confirmed" for the confirmation it made.
READS = frozenset({"admin_get_user", "list_users", "describe_user_pool", "describe_user_pool_client"})
# A throttled describe call is sent again within this long, after pauses doubling from the first.
DESCRIBE_SECONDS = 5.0
DESCRIBE_PAUSE_SECONDS = 0.25


def create_client(region: str, endpoint_url: str | None = None, budget: CallBudget | None = None) -> Any:
    """The process's one cognito-idp client: creating one costs tens of milliseconds, and it is thread-safe.

    Its timeouts fit `budget`, and botocore never retries: the adapter does, within the budget and only
    where trying again is safe (READS)."""
    # botocore logs whole request and response bodies at DEBUG: passwords, codes and tokens. Turning on
    # debug logging for regapi must never turn that on.
    for name in ("botocore", "boto3"):
        library_log = logging.getLogger(name)
        library_log.setLevel(max(library_log.getEffectiveLevel(), logging.INFO))
    budget = budget or CallBudget(DEFAULT_TIMEOUT)
    config = Config(
        max_pool_connections=budget.concurrency,
        connect_timeout=budget.connect_timeout,
        read_timeout=budget.read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config)


def describe_pool(
    client: Any, pool_id: str, client_id: str, *, pace: Callable[[str], None] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """DescribeUserPool and DescribeUserPoolClient: the start-up check of each pool, and tools that compare
    a pool with a policy. With `pace` (Quotas.pace) each call first waits for a token of its quota, so all
    the processes checking pools at once stay under it together."""
    pool = _described(client, "describe_user_pool", pace, UserPoolId=pool_id)["UserPool"]
    app = _described(client, "describe_user_pool_client", pace, UserPoolId=pool_id, ClientId=client_id)
    return pool, app["UserPoolClient"]


def _described(client: Any, operation: str, pace: Callable[[str], None] | None, **params: Any) -> dict[str, Any]:
    """One describe call; a throttled one (something else in the account uses the quota too) is sent again
    after a pause and the bucket's own wait, for DESCRIBE_SECONDS at most: given up, a check is skipped,
    and in production that would let a client without a secret through unrefused."""
    deadline, pause = time.monotonic() + DESCRIBE_SECONDS, DESCRIBE_PAUSE_SECONDS
    while True:
        if pace is not None:
            pace(operation)
        try:
            result: dict[str, Any] = getattr(client, operation)(**params)
        except ClientError as exc:
            if error_name(exc) not in THROTTLED or time.monotonic() + pause > deadline:
                raise translate(exc) from None
        except BotoCoreError:
            raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
        else:
            return result
        time.sleep(pause)
        pause *= 2


def _retryable(exc: Exception, *, reads: bool) -> bool:
    if isinstance(exc, ParamValidationError):
        return False
    if isinstance(exc, EndpointConnectionError):  # no connection (refused, or connecting timed out): nothing sent
        return True
    if isinstance(exc, ClientError):
        return error_name(exc) in THROTTLED or (reads and http_status(exc) >= 500)
    return reads and isinstance(exc, HTTPClientError)  # a read timed out or the connection dropped


def _outcome(exc: Exception) -> str:
    """The metric's outcome of a call whose last attempt Cognito answered (or never got) with `exc`."""
    if isinstance(exc, ClientError):
        # Throttled apart from the other UNAVAILABLEs: it is the account's quota, shared by every tenant.
        return "throttled" if error_name(exc) in THROTTLED else translate(exc).code.value
    return "unreachable"


class Calls:
    """One Cognito request at a time within the budget; the adapter's calls build on it."""

    def __init__(self, client: Any, budget: CallBudget | None = None, *, quotas: Quotas | None = None) -> None:
        self._client = client
        self._budget = budget or CallBudget(DEFAULT_TIMEOUT)
        self._quotas = quotas

    async def _call(self, pool: PoolBinding, operation: str, **params: Any) -> dict[str, Any]:
        """One Cognito request within the budget; every way it can fail leaves as a ProviderError."""
        call = functools.partial(getattr(self._client, operation), **params)
        reads = operation in READS
        retried: list[Exception] = []  # the attempts that failed and were tried again

        def retryable(exc: Exception) -> bool:
            again = _retryable(exc, reads=reads)
            if again:
                retried.append(exc)
            return again

        gate: Gate | None = None
        if self._quotas is not None:
            # Each attempt takes a token once it holds its slot (api.cognito.budget): a refused attempt is
            # never sent, nor tried again.
            gate = functools.partial(self._quotas.take, operation)
        # The call's metric: "error" stays only if it ended some other way (cancelled, a bug); None when it
        # never reached Cognito.
        started = time.perf_counter()
        outcome: str | None = "error"
        try:
            # boto3 blocks; off the event loop, unrelated requests keep flowing while Cognito answers.
            result: dict[str, Any] = await self._budget.run(call, retryable, gate)
            outcome = "ok"
        except ProviderError:
            # The quota refused an attempt. Refused before the first, no Cognito call happened; refused a
            # retry, the call ended with the failure of the attempt Cognito last answered.
            outcome = _outcome(retried[-1]) if retried else None
            raise
        except ClientError as exc:
            error = translate(exc)
            name = error_name(exc)
            outcome = _outcome(exc)
            if name == "ResourceNotFoundException":
                # The policy names a pool or app client that is not there: the operator's to fix.
                log.error(
                    "cognito %s: the endpoint has no pool %s (user_pool_id %s, client_id %s): check the policy's ids",
                    operation,
                    pool.name,
                    pool.user_pool_id,
                    pool.client_id,
                )
            elif error.code is ProviderErrorCode.UNAVAILABLE:
                log.warning("cognito %s failed: %s (HTTP %s)", operation, name or "-", http_status(exc))
            else:
                # An expected refusal (a wrong code or password): the use case's outcome and the metrics say it;
                # at INFO it would be a refused request's third line.
                log.debug("cognito %s refused: %s", operation, error.code.value)
            raise error from None
        except ParamValidationError:
            # botocore refused the input before sending it (an empty code, say): the caller's input.
            outcome = ProviderErrorCode.INVALID_PARAMETER.value
            raise ProviderError(ProviderErrorCode.INVALID_PARAMETER) from None
        except TimeoutError:
            outcome = "timeout"
            log.warning("cognito %s: no answer within %g s", operation, self._budget.seconds)
            raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
        except (BotoCoreError, OSError) as exc:
            outcome = "unreachable"
            log.warning("cognito %s unreachable: %s", operation, type(exc).__name__)
            raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
        finally:
            if outcome is not None:
                metrics.cognito_call(operation, outcome, time.perf_counter() - started)
        return result

    @staticmethod
    def _secret(pool: PoolBinding, username: str) -> dict[str, str]:
        if pool.client_secret is None:
            return {}
        return {"SECRET_HASH": secret_hash(pool.client_secret, username, pool.client_id)}

    def _public_secret(self, pool: PoolBinding, username: str) -> dict[str, str]:
        hashed = self._secret(pool, username)
        return {"SecretHash": hashed["SECRET_HASH"]} if hashed else {}
