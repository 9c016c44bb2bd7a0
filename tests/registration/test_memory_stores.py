"""The in-memory attempt limits, failure counters and single-use claims: their windows, and upkeep whose
cost per call stays bounded however many keys they hold (each sweep looks at a few expired keys only).

Each store reads the test's clock; AttemptLimiter's own tests use a short rate and the real one.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter

from api.policy.model import AttemptLimits
from api.registration.counters import SLOT_SECONDS, MemoryFailures, Slot
from api.registration.expiring import SWEEP_STEP, Expiring
from api.registration.failures import Refused, too_many
from api.registration.limits import AttemptLimiter, LimitName
from api.registration.memory_windows import MemoryWindows
from api.registration.outcomes import Denied, Failure
from api.registration.single_use import MemorySingleUse

MANY = 50_000


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- the moving windows (MemoryWindows under limits' MovingWindowRateLimiter) -------------------------


def test_a_window_allows_its_limit_then_refuses_until_its_oldest_hit_expires() -> None:
    clock = Clock()
    limiter = MovingWindowRateLimiter(MemoryWindows(clock))
    rate = parse("2 per 10 seconds")

    async def main() -> list[object]:
        got: list[object] = [await limiter.hit(rate, "k"), await limiter.hit(rate, "k")]
        clock.now += 4
        got += [await limiter.hit(rate, "k"), await limiter.hit(rate, "other")]
        stats = await limiter.get_window_stats(rate, "k")
        got += [stats.remaining, stats.reset_time]
        clock.now += 6.5  # both hits of t=1000 expired: two again
        got += [await limiter.hit(rate, "k"), await limiter.hit(rate, "k"), await limiter.hit(rate, "k")]
        return got

    assert asyncio.run(main()) == [True, True, False, True, 0, 1_010.0, True, True, False]


def test_the_window_moves_with_each_hit() -> None:
    clock = Clock()
    limiter = MovingWindowRateLimiter(MemoryWindows(clock))
    rate = parse("2 per 10 seconds")

    async def main() -> list[bool]:
        got = [await limiter.hit(rate, "k")]
        clock.now += 6
        got.append(await limiter.hit(rate, "k"))
        clock.now += 5  # the first hit expired, the second (6 s ago) still counts
        got += [await limiter.hit(rate, "k"), await limiter.hit(rate, "k")]
        return got

    assert asyncio.run(main()) == [True, True, True, False]


def test_hits_stop_counting_when_they_expire_whenever_the_sweep_comes() -> None:
    clock = Clock()
    limiter = MovingWindowRateLimiter(MemoryWindows(clock))
    rate = parse("3 per 10 seconds")

    async def at(moment: float, key: str = "k") -> bool:
        clock.now = 1_000 + moment
        return await limiter.hit(rate, key)

    async def main() -> list[bool]:
        got = [await at(0), await at(6), await at(8)]
        got.append(await at(11, "other"))  # the sweep trims "k" to [6, 8], due again at 18
        got += [await at(16.5), await at(17), await at(17)]  # 6 expired at 16, before that
        return got

    assert asyncio.run(main()) == [True, True, True, True, True, True, False]


def test_expired_keys_are_dropped_a_few_per_hit() -> None:
    clock = Clock()
    storage = MemoryWindows(clock)
    limiter = MovingWindowRateLimiter(storage)
    rate = parse("1 per 1 second")

    async def main() -> list[int]:
        for n in range(MANY):
            assert await limiter.hit(rate, f"address-{n}")
        clock.now += 2
        held = [len(storage)]
        for _ in range(MANY):  # bounded, should the sweep never come
            await limiter.hit(rate, "someone new")
            held.append(len(storage))
            if held[-1] == 1:
                break
        return held

    held = asyncio.run(main())
    assert held[0] == MANY
    assert held[-1] == 1  # only the key hit after the window
    drops = [before - after for before, after in itertools.pairwise(held)]
    assert max(drops) <= SWEEP_STEP  # no hit swept more than one step's worth
    assert len(drops) >= MANY // SWEEP_STEP


def test_a_key_hit_since_its_deadline_is_kept_and_still_counted() -> None:
    clock = Clock()
    storage = MemoryWindows(clock)
    limiter = MovingWindowRateLimiter(storage)
    rate = parse("2 per 10 seconds")

    async def main() -> list[object]:
        got: list[object] = [await limiter.hit(rate, "k")]
        clock.now += 9
        got.append(await limiter.hit(rate, "k"))
        clock.now += 2  # the key's first deadline passed: the sweep looks at it and keeps it
        got += [await limiter.hit(rate, "other"), len(storage), await limiter.hit(rate, "k")]
        got.append(await limiter.hit(rate, "k"))  # two in the window again (t=1009 and t=1011)
        clock.now += 30
        await limiter.hit(rate, "other")
        got.append(len(storage))  # "k" is gone; "other" was hit just now
        return got

    assert asyncio.run(main()) == [True, True, True, 2, True, False, 1]


def test_a_cleared_key_starts_afresh_and_its_old_deadline_leaves_the_new_one_alone() -> None:
    clock = Clock()
    storage = MemoryWindows(clock)
    limiter = MovingWindowRateLimiter(storage)
    rate = parse("1 per 10 seconds")

    async def main() -> list[object]:
        got: list[object] = [await limiter.hit(rate, "k")]
        await limiter.clear(rate, "k")
        clock.now += 5
        got.append(await limiter.hit(rate, "k"))
        clock.now += 6  # the cleared window's deadline passes; the new window has 4 s left
        got += [await limiter.hit(rate, "other"), await limiter.hit(rate, "k"), len(storage)]
        return got

    assert asyncio.run(main()) == [True, True, True, False, 2]


def test_a_burst_released_together_gets_exactly_the_limit() -> None:
    limiter = MovingWindowRateLimiter(MemoryWindows())
    rate = parse("5 per minute")

    async def main() -> list[bool]:
        return list(await asyncio.gather(*(limiter.hit(rate, "k") for _ in range(40))))

    assert sorted(asyncio.run(main())) == [False] * 35 + [True] * 5


# -- AttemptLimiter without Redis ---------------------------------------------------------------------


def test_the_limiter_counts_each_limit_by_name_and_refuses_with_the_wait() -> None:
    limits = AttemptLimits(attempts_per_address="2 per 1 second", sign_ups_per_address="2 per 1 second")
    limiter = AttemptLimiter()

    async def attempt(name: LimitName) -> Failure | Denied | None:
        try:
            await limiter.take("t", limits, name, "t", "10.0.0.1")
        except Refused as refused:
            return refused.outcome
        return None

    async def main() -> list[Failure | Denied | None]:
        got = [await attempt("attempts_per_address") for _ in range(3)]
        got.append(await attempt("sign_ups_per_address"))  # the same rate, its own counter
        await asyncio.sleep(1.05)
        got.append(await attempt("attempts_per_address"))
        return got

    got = asyncio.run(main())
    assert [outcome is None for outcome in got] == [True, True, False, True, True]
    assert got[2] == too_many(1)


def test_the_limiter_lets_exactly_the_limit_through_a_burst() -> None:
    limits = AttemptLimits(sign_ups_per_tenant="7 per hour")
    limiter = AttemptLimiter()

    async def attempt() -> bool:
        try:
            await limiter.take("t", limits, "sign_ups_per_tenant", "t")
        except Refused:
            return False
        return True

    async def main() -> list[bool]:
        return list(await asyncio.gather(*(attempt() for _ in range(30))))

    assert asyncio.run(main()).count(True) == 7


# -- failure counters ---------------------------------------------------------------------------------


def test_attempts_that_do_not_fail_leave_nothing_behind() -> None:
    failures = MemoryFailures(Clock())

    async def main() -> int:
        for n in range(100):
            slot = await failures.reserve(f"user-{n}", 3, 60)
            assert isinstance(slot, Slot)
            await failures.release(slot, failed=False)
        return len(failures)

    assert asyncio.run(main()) == 0


def test_failures_count_for_their_window_then_are_dropped() -> None:
    clock = Clock()
    failures = MemoryFailures(clock)

    async def fail(key: str) -> int | None:
        slot = await failures.reserve(key, 2, 60)
        if not isinstance(slot, Slot):
            return slot
        await failures.release(slot, failed=True)
        return None

    async def main() -> list[int | None]:
        got = [await fail("k"), await fail("k"), await fail("k")]
        clock.now += 61
        got.append(await fail("k"))  # the two failures expired
        return got

    assert asyncio.run(main()) == [None, None, 60, None]


def test_expired_failures_are_dropped_a_few_per_reservation() -> None:
    clock = Clock()
    failures = MemoryFailures(clock)

    async def main() -> list[int]:
        for n in range(MANY):
            slot = await failures.reserve(f"user-{n}", 3, 60)
            assert isinstance(slot, Slot)
            await failures.release(slot, failed=True)
        clock.now += 61
        held = [len(failures)]
        for _ in range(MANY):  # bounded, should the sweep never come
            slot = await failures.reserve("someone", 3, 60)
            assert isinstance(slot, Slot)
            held.append(len(failures) - 1)  # less "someone", in flight
            await failures.release(slot, failed=False)
            if held[-1] == 0:
                break
        return held

    held = asyncio.run(main())
    assert held[0] == MANY
    assert held[-1] == 0
    drops = [before - after for before, after in itertools.pairwise(held)]
    assert max(drops) <= SWEEP_STEP
    assert len(drops) >= MANY // SWEEP_STEP


def test_a_slot_in_flight_keeps_its_entry_when_the_failures_expire() -> None:
    """The sweep comes to a user whose failures expired while an attempt is still in flight: the entry
    stays (its slot still counts) and the attempt's release finds it."""
    clock = Clock()
    failures = MemoryFailures(clock)

    async def main() -> list[object]:
        first = await failures.reserve("k", 2, 10)
        assert isinstance(first, Slot)
        await failures.release(first, failed=True)  # due at t=1010
        clock.now += 5
        in_flight = await failures.reserve("k", 2, 10)
        clock.now += 6
        got: list[object] = [await failures.reserve("other", 2, 10), len(failures)]  # the sweep's turn
        got += [await failures.reserve("k", 2, 10), await failures.reserve("k", 2, 10)]
        assert isinstance(in_flight, Slot)
        await failures.release(in_flight, failed=True)
        got.append(await failures.reserve("k", 2, 10))  # a failure and one slot in flight
        return got

    got = asyncio.run(main())
    assert isinstance(got[0], Slot)
    assert got[1] == 2
    assert isinstance(got[2], Slot)
    assert got[3:] == [1, 1]  # the limit is full of attempts in flight, not of failures
    assert SLOT_SECONDS > 10


# -- single-use claims --------------------------------------------------------------------------------


def test_a_claim_holds_once_until_it_expires_or_is_released() -> None:
    clock = Clock()
    used = MemorySingleUse(clock)

    async def main() -> list[bool]:
        got = [await used.claim("s", 10), await used.claim("s", 10)]
        await used.release("s")
        got.append(await used.claim("s", 10))
        clock.now += 10.5
        got.append(await used.claim("s", 10))
        return got

    assert asyncio.run(main()) == [True, False, True, True]


def test_a_released_claims_old_deadline_leaves_a_new_claim_alone() -> None:
    clock = Clock()
    used = MemorySingleUse(clock)

    async def main() -> list[bool]:
        await used.claim("s", 10)
        await used.release("s")
        clock.now += 5
        await used.claim("s", 10)  # until t=1015
        clock.now += 6  # the first claim's deadline (t=1010) passes and is swept
        await used.claim("other", 10)
        return [await used.claim("s", 10)]

    assert asyncio.run(main()) == [False]


def test_expired_claims_are_dropped_a_few_per_claim() -> None:
    clock = Clock()
    used = MemorySingleUse(clock)

    async def main() -> list[int]:
        for n in range(MANY):
            assert await used.claim(f"session-{n}", 30)
        clock.now += 31
        held = [len(used)]
        for n in range(1, MANY):  # bounded, should the sweep never come
            assert await used.claim(f"new-{n}", 30)
            held.append(len(used) - n)  # less the new claims
            if held[-1] == 0:
                break
        return held

    held = asyncio.run(main())
    assert held[0] == MANY
    drops = [before - after for before, after in itertools.pairwise(held)]
    assert max(drops) <= SWEEP_STEP
    assert held[-1] == 0


# -- the sweep itself ---------------------------------------------------------------------------------


def test_a_sweep_looks_at_no_more_than_its_step_and_only_at_expired_keys() -> None:
    entries: Expiring[float] = Expiring(lambda until, now: until if until > now else None)
    for n in range(MANY):
        entries.add(f"k{n}", 10.0 + n % 2, until=10.0 + n % 2)  # half expire at 10, half at 11
    assert entries.sweep(5.0) == 0  # nothing due: nothing looked at
    seen = [entries.sweep(10.5) for _ in range(MANY)]
    assert max(seen) == SWEEP_STEP
    assert sum(seen) == MANY // 2  # each expired key looked at once, the others not at all
    assert len(entries) == MANY // 2


@pytest.mark.parametrize("step", [1, 7])
def test_a_live_entry_is_given_its_next_deadline(step: int) -> None:
    ends = {"a": 20.0}
    entries: Expiring[str] = Expiring(lambda key, now: ends[key] if ends[key] > now else None, step=step)
    entries.add("a", "a", until=10.0)
    assert entries.sweep(15.0) == 1  # looked at, still live: kept, due again at 20
    assert entries.sweep(16.0) == 0
    assert len(entries) == 1
    assert entries.sweep(21.0) == 1
    assert len(entries) == 0
