"""A deadline for every Cognito request: the wait for a slot, each attempt and the pauses between retries.

boto3 blocks, so each call runs in a worker thread. Cognito calls get their own slots (not anyio's default
thread limiter, which the rest of the process shares), and the deadline covers the wait for one: with
every slot taken by calls to a hung endpoint, a new call gives up when its own time is up instead of
queueing behind them. A call whose deadline passes is abandoned; its thread ends by itself when the
client's connect or read timeout fires, and keeps its slot until then, so there are never more threads
calling Cognito than slots, nor more connections than the client pools.

No boto3 here: whether a failure may be retried is for the caller to say (`retryable`), and whether an
attempt may be sent at all (`gate`: api.cognito.calls asks Cognito's quota buckets there). The gate is
asked at the start of every attempt, once its slot is held: each attempt sent is one request to Cognito
and takes its own token, and a call that waited for a slot while Cognito was slow takes its token when it
goes out, so calls queued behind a slow Cognito cannot leave together later above the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
Gate = Callable[[], Awaitable[None]]

# The deadline when none is configured (the server's is REGAPI_COGNITO_TIMEOUT).
DEFAULT_SECONDS = 10.0
# As many calls at once as the client has pooled connections (botocore's max_pool_connections).
MAX_CONCURRENT_CALLS = 40
MAX_ATTEMPTS = 3
# Full-jitter exponential backoff (AWS's advice): before attempt n+1, a pause uniform in
# [0, min(cap, base * 2^n)]. Short, as the whole budget is a few seconds.
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0


class _RefusedError(Exception):
    """The gate refused an attempt: its own error leaves `run` as it is, never tried again."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class CallBudget:
    def __init__(
        self, seconds: float, *, concurrency: int = MAX_CONCURRENT_CALLS, attempts: int = MAX_ATTEMPTS
    ) -> None:
        if not seconds > 0 or attempts < 1 or concurrency < 1:
            raise ValueError("a budget needs a positive deadline, attempts and concurrency")
        self.seconds = seconds
        self.attempts = attempts
        self.concurrency = concurrency
        self._slots = anyio.CapacityLimiter(concurrency)
        # The slots bound the threads; anyio's own limiter for them must never make a call wait.
        self._unbounded = anyio.CapacityLimiter(math.inf)

    @property
    def connect_timeout(self) -> float:
        """Each attempt's time to connect: a third of the budget and at most 3 seconds, so that a connection
        never made leaves time to try another."""
        return min(3.0, self.seconds / 3)

    @property
    def read_timeout(self) -> float:
        """Each attempt's longest wait for an answer: the whole budget (the deadline may cut it shorter)."""
        return self.seconds

    async def run(self, call: Callable[[], T], retryable: Callable[[Exception], bool], gate: Gate | None = None) -> T:
        """`call` in a worker thread, tried again while `retryable` says so and time remains; with `gate`,
        each attempt first awaits it (holding its slot, within the deadline), and what it raises ends the
        call at once: that attempt is not sent.

        Raises TimeoutError when the deadline passes first, else what the gate or the last attempt raised."""
        deadline = anyio.current_time() + self.seconds
        with anyio.fail_after(self.seconds):
            attempt = 1
            while True:
                try:
                    return await self._attempt(call, gate)
                except _RefusedError as refused:
                    raise refused.error from None
                except Exception as exc:
                    pause = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311
                    # Another attempt only while there is time left for it to be answered.
                    left = deadline - anyio.current_time() - pause
                    if attempt >= self.attempts or left < self.seconds / 10 or not retryable(exc):
                        raise
                await anyio.sleep(pause)
                attempt += 1

    async def _attempt(self, call: Callable[[], T], gate: Gate | None) -> T:
        token = object()
        await self._slots.acquire_on_behalf_of(token)
        if gate is not None:
            try:
                await gate()
            except BaseException as exc:  # refused (or cancelled): nothing was sent, the slot is free again
                self._slots.release_on_behalf_of(token)
                if isinstance(exc, Exception):
                    raise _RefusedError(exc) from None
                raise
        loop = asyncio.get_running_loop()
        lock = threading.Lock()
        state = "waiting"  # -> "running": the thread releases the slot | "dropped": this task did

        def in_thread() -> T:
            nonlocal state
            with lock:
                if state == "dropped":
                    raise asyncio.CancelledError
                state = "running"
            try:
                return call()
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for the slot
                    loop.call_soon_threadsafe(self._slots.release_on_behalf_of, token)

        try:
            return await anyio.to_thread.run_sync(in_thread, abandon_on_cancel=True, limiter=self._unbounded)
        except BaseException:
            with lock:
                if state == "waiting":  # abandoned before the thread started: the slot is this task's to free
                    state = "dropped"
                    self._slots.release_on_behalf_of(token)
            raise
