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

from api.cognito.budget import DEFAULT_SECONDS, CallBudget
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


def describe_pool(client: Any, pool_id: str, client_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """DescribeUserPool and DescribeUserPoolClient, for tools that compare a pool with a policy."""
    try:
        pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        app = client.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except ClientError as exc:
        raise translate(exc) from None
    except BotoCoreError:
        raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
    return pool, app


def _retryable(exc: Exception, *, reads: bool) -> bool:
    if isinstance(exc, ParamValidationError):
        return False
    if isinstance(exc, EndpointConnectionError):  # no connection (refused, or connecting timed out): nothing sent
        return True
    if isinstance(exc, ClientError):
        return error_name(exc) in THROTTLED or (reads and http_status(exc) >= 500)
    return reads and isinstance(exc, HTTPClientError)  # a read timed out or the connection dropped


class Calls:
    """One Cognito request at a time within the budget; the adapter's calls build on it."""

    def __init__(self, client: Any, budget: CallBudget | None = None, *, quotas: Quotas | None = None) -> None:
        self._client = client
        self._budget = budget or CallBudget(DEFAULT_TIMEOUT)
        self._quotas = quotas

    async def _call(self, pool: PoolBinding, operation: str, **params: Any) -> dict[str, Any]:
        """One Cognito request within the budget; every way it can fail leaves as a ProviderError."""
        if self._quotas is not None:
            # Before the budget: a call refused for the quota is never sent, nor tried again.
            await self._quotas.take(operation)
        call = functools.partial(getattr(self._client, operation), **params)
        reads = operation in READS
        # The call's metric: "error" stays only if it ended some other way (cancelled, a bug).
        started, outcome = time.perf_counter(), "error"
        try:
            # boto3 blocks; off the event loop, unrelated requests keep flowing while Cognito answers.
            result: dict[str, Any] = await self._budget.run(call, lambda exc: _retryable(exc, reads=reads))
            outcome = "ok"
        except ClientError as exc:
            error = translate(exc)
            name = error_name(exc)
            # Throttled apart from the other UNAVAILABLEs: it is the account's quota, shared by every tenant.
            outcome = "throttled" if name in THROTTLED else error.code.value
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
