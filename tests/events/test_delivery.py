"""The deliverer against real HTTP receivers on loopback, each signature checked with the standardwebhooks
verifier: retries under the same webhook-id, the bounded schedule, dead letters and replay, redirects not
followed, answer bodies read no further than the cap, one log line per failed attempt, the metric."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from api.clock import ManualClock
from api.events.delivery import PER_TENANT, REMOVED
from api.events.model import DeliveryStatus
from api.events.schedule import RETRY_SCHEDULE, RetrySchedule
from api.events.transport import Timeouts
from api.events.wiring import build
from api.observability import metrics
from api.policy import TenantPolicy, load_policy
from api.policy.store import PolicyStore
from api.settings import Settings
from tests.helpers import TESTS
from tests.helpers.events import SECRET_ENV, delivery, running
from tests.helpers.processes import free_port
from tests.helpers.receiver import Receiver, Reply, Silent, receiving

BODY_CAP = 4096  # the most of an answer's body the README says regapi reads (it reads none)
FAST = RetrySchedule(steps=(0.05, 0.05, 0.05))  # four attempts within a second
SHORT = Timeouts(connect=2.0, read=2.0, total=4.0)
TENANT = "events-test"


def count(outcome: str) -> float:
    value = metrics.registry().get_sample_value(
        "regapi_webhook_deliveries_total", {"tenant": TENANT, "type": "user.invited", "outcome": outcome}
    )
    return value or 0.0


def test_a_delivery_arrives_signed_with_its_event_id_and_body(receiver: Receiver) -> None:
    metrics.tenants_served([TENANT])
    before = count("delivered")
    sent = delivery(receiver.url())
    with running(build(Settings())) as events:
        events.enqueue(sent)
        (got,) = receiver.wait_for(1)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    assert got.verified
    assert got.webhook_id == sent.event.id
    assert got.body == sent.event.body()
    assert got.headers["content-type"] == "application/json"
    assert (settled.attempts, settled.last_status_code, settled.last_error) == (1, 200, None)
    assert count("delivered") == before + 1


def test_a_500_is_retried_within_seconds_under_the_same_webhook_id(receiver: Receiver) -> None:
    receiver.answer("/hook", Reply(500), Reply(200))
    sent = delivery(receiver.url())
    with running(build(Settings())) as events:  # the real schedule
        events.enqueue(sent)
        receiver.wait_for(1)
        failed = events.attempted(sent.id, 1)
        first, second = receiver.wait_for(2, timeout=10)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    assert failed.last_status_code == 500
    assert failed.last_attempt_at is not None
    assert failed.next_attempt_at is not None
    assert timedelta(seconds=1) <= failed.next_attempt_at - failed.last_attempt_at <= timedelta(seconds=5)
    assert first.verified  # each attempt signed with its own timestamp
    assert second.verified
    assert first.webhook_id == second.webhook_id == sent.event.id
    assert first.body == second.body
    assert settled.attempts == 2


def test_a_refused_connection_is_retried(secret: str) -> None:
    sent = delivery(f"http://127.0.0.1:{free_port()}/hook")
    with running(build(Settings(), schedule=FAST, timeouts=SHORT)) as events:
        events.enqueue(sent)
        retried = events.attempted(sent.id, 2)
    assert retried.last_error == "connection refused"
    assert retried.last_status_code is None


def test_a_timeout_is_retried_and_the_retry_delivers(receiver: Receiver) -> None:
    receiver.answer("/slow", Reply(200, delay=10.0), Reply(200))  # the first answer comes too late
    sent = delivery(receiver.url("/slow"))
    with running(build(Settings(), schedule=FAST, timeouts=SHORT)) as events:
        events.enqueue(sent)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    assert settled.attempts == 2
    first, second = receiver.received("/slow")
    assert first.webhook_id == second.webhook_id


def test_a_receiver_that_always_fails_ends_a_dead_letter_and_replay_sends_it_again(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    metrics.tenants_served([TENANT])
    failed_before, retrying_before = count("failed"), count("retrying")
    receiver.answer("/down", Reply(503))
    sent = delivery(receiver.url("/down") + "?token=query-secret-abc")
    with caplog.at_level(logging.DEBUG), running(build(Settings(), schedule=FAST)) as events:
        events.enqueue(sent)
        dead = events.settled(sent.id, DeliveryStatus.FAILED)
        assert len(receiver.received("/down")) == FAST.attempts == 4
        assert [d.id for d in events.listed(status=DeliveryStatus.FAILED)] == [sent.id]
        assert events.listed(status=DeliveryStatus.PENDING) == []
        assert events.call(events.runtime.queue.replay("another-tenant", sent.id)) is None

        receiver.answer("/down", Reply(200))
        replayed = events.call(events.runtime.queue.replay(TENANT, sent.id))
        assert replayed is not None
        assert (replayed.status, replayed.attempts) == (DeliveryStatus.PENDING, 0)
        assert events.call(events.runtime.queue.replay(TENANT, sent.id)) is None  # PENDING: not a dead letter
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    assert (dead.attempts, dead.last_status_code, dead.next_attempt_at) == (4, 503, None)
    arrivals = receiver.received("/down")
    assert len(arrivals) == 5
    assert {r.webhook_id for r in arrivals} == {sent.event.id}
    assert all(r.verified for r in arrivals)
    assert settled.attempts == 1
    assert count("failed") == failed_before + 1
    assert count("retrying") == retrying_before + 3

    lines = [r for r in caplog.records if r.name == "regapi.events" and r.levelno == logging.WARNING]
    assert len(lines) == 4  # one per failed attempt
    for number, record in enumerate(lines, start=1):
        text = record.getMessage()
        assert f"attempt {number} of 4" in text
        assert TENANT in text
        assert "127.0.0.1" in text
        assert "HTTP 503" in text
        assert record.regapi_fields["delivery"] == sent.id  # type: ignore[attr-defined]
        for secret_part in ("query-secret-abc", "/down", sent.event.body().decode(), "whsec_"):
            assert secret_part not in text
            assert secret_part not in str(record.regapi_fields)  # type: ignore[attr-defined]
    assert lines[-1].getMessage().endswith("dead letter, replayable")
    # Nothing of the process logged the URL's query (httpx writes whole URLs at INFO: kept quiet).
    assert not [r.name for r in caplog.records if "query-secret-abc" in r.getMessage()]


def test_a_missing_secret_is_an_attempt_that_failed_and_names_only_the_variable(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    sent = delivery(receiver.url())
    with running(build(Settings(), schedule=RetrySchedule(steps=()))) as events:
        events.enqueue(sent)
        dead = events.settled(sent.id, DeliveryStatus.FAILED)
    assert dead.last_error == f"secret variable {SECRET_ENV} is not set"
    assert receiver.received() == []


@pytest.mark.parametrize("status", [302, 307])
def test_redirects_are_not_followed(receiver: Receiver, secret: str, status: int) -> None:
    with receiving(secret) as elsewhere:
        receiver.answer("/moved", Reply(status, location=elsewhere.url("/internal")))
        sent = delivery(receiver.url("/moved"))
        with running(build(Settings(), schedule=RetrySchedule(steps=(0.05,)))) as events:
            events.enqueue(sent)
            dead = events.settled(sent.id, DeliveryStatus.FAILED)
        assert elsewhere.received() == []
    assert len(receiver.received("/moved")) == 2
    assert dead.last_status_code == status
    assert dead.last_error == f"HTTP {status}: redirect not followed"


def test_a_huge_answer_is_not_read_past_the_cap(receiver: Receiver) -> None:
    huge = 512 * 1024 * 1024
    receiver.answer("/flood", Reply(200, body_bytes=huge))
    sent = delivery(receiver.url("/flood"))
    with running(build(Settings())) as events:
        events.enqueue(sent)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
        (answer,) = receiver.wait_for(1, "/flood")
        events.wait("the receiver finds the connection closed", lambda: answer.reset)
    assert settled.last_status_code == 200
    # What it sent before the close is what the kernel's buffers held, megabytes: never the half gigabyte.
    assert answer.written < 64 * 1024 * 1024 < huge


def test_an_answers_body_is_not_read_at_all(receiver: Receiver) -> None:
    """A body that trickles a kilobyte at a time: the connection closes after the status line, so the
    receiver finds it closed within its first writes, long before a reader of 4 KB would have let it."""
    receiver.answer("/trickle", Reply(200, body_bytes=1024 * 1024, chunk=1024, pause=0.1))
    sent = delivery(receiver.url("/trickle"))
    with running(build(Settings())) as events:
        events.enqueue(sent)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
        (answer,) = receiver.wait_for(1, "/trickle")
        events.wait("the receiver finds the connection closed", lambda: answer.reset, timeout=60)
    assert settled.last_status_code == 200
    assert answer.written <= BODY_CAP


def test_the_schedule_is_bounded_starts_within_seconds_and_spreads_over_hours() -> None:
    schedule = RETRY_SCHEDULE
    assert schedule.attempts == 10
    assert schedule.bounds(1) == (1.0, 5.0)  # the first retry: 1 to 5 seconds after the failure
    assert schedule.bounds(len(schedule.steps) + 1) is None
    assert schedule.delay(schedule.attempts) is None  # the tenth failure is the last
    waits = [schedule.bounds(n) for n in range(1, schedule.attempts)]
    assert all(w is not None for w in waits)
    highs = [w[1] for w in waits if w is not None]
    lows = [w[0] for w in waits if w is not None]
    assert highs == sorted(highs)  # each wait longer than the one before
    assert len(set(highs)) == len(highs)
    assert highs[-1] == 8 * 3600
    assert sum(lows) > 3 * 3600  # a dead letter after about 3 to 16 hours
    assert sum(highs) < 16 * 3600
    # Full jitter with a floor: the draw spans a fifth of the step to the whole step.
    assert schedule.delay(3, uniform=lambda low, high: low) == 24.0
    assert schedule.delay(3, uniform=lambda low, high: high) == 120.0
    draws = {schedule.delay(1) for _ in range(50)}
    assert len(draws) > 1
    assert all(d is not None and 1.0 <= d <= 5.0 for d in draws)


def test_the_real_schedule_stepped_through_with_a_manual_clock(receiver: Receiver) -> None:
    """Every retry of the real schedule, by moving a clock to each due time: ten attempts, then FAILED."""
    clock = ManualClock()
    receiver.answer("/never", Reply(500))
    sent = delivery(receiver.url("/never"))
    with running(build(Settings(), clock, poll=0.05)) as events:
        events.enqueue(sent)
        for attempt in range(1, RETRY_SCHEDULE.attempts):
            pending = events.attempted(sent.id, attempt)
            assert pending.status == DeliveryStatus.PENDING
            assert pending.next_attempt_at is not None
            wait = (pending.next_attempt_at - clock.now()).total_seconds()
            bounds = RETRY_SCHEDULE.bounds(attempt)
            assert bounds is not None
            assert bounds[0] - 0.01 <= wait <= bounds[1] + 0.01
            assert len(receiver.received("/never")) == attempt  # not due yet: nothing more arrives
            clock.advance(timedelta(seconds=wait + 0.001))
        dead = events.settled(sent.id, DeliveryStatus.FAILED)
    assert dead.attempts == 10
    assert len(receiver.received("/never")) == 10


def test_a_tenant_whose_receiver_hangs_holds_its_share_of_the_slots_not_every_tenants(receiver: Receiver) -> None:
    """Sixteen deliveries of one tenant to a receiver that accepts and never answers, queued ahead of another
    tenant's: that one still arrives while the sixteen hang, two at a time, none of them lost or counted."""
    hanging = Timeouts(connect=3.0, read=60.0, total=60.0)  # they outlast the test
    with Silent() as silent, running(build(Settings(), timeouts=hanging)) as events:
        stuck = [delivery(silent.url(), tenant="noisy") for _ in range(16)]
        events.enqueue(*stuck)
        events.wait("the noisy tenant's first attempts connect", lambda: silent.connections >= PER_TENANT)
        victim = delivery(receiver.url(), tenant="victim")
        events.enqueue(victim)
        (got,) = receiver.wait_for(1)
        noisy = events.listed("noisy")
        assert silent.connections == PER_TENANT
    assert got.webhook_id == victim.event.id
    assert len(noisy) == 16
    assert {(d.status, d.attempts) for d in noisy} == {(DeliveryStatus.PENDING, 0)}


def hooked_policy(directory: Path, url: str, *, webhooks: bool = True) -> TenantPolicy:
    """tests/fixtures/webhooks/hooked.yaml with its webhooks pointed at `url` (or without them)."""
    text = (TESTS / "fixtures" / "webhooks" / "hooked.yaml").read_text().replace("http://receiver.invalid/crm", url)
    text = text.replace("HOOKED_WEBHOOK_SECRET", SECRET_ENV)
    if not webhooks:
        text = text.split("events:\n  webhooks:")[0]
    path = directory / "hooked.yaml"
    path.write_text(text)
    return load_policy(path)


def test_a_webhook_removed_by_a_reload_gets_no_retry(receiver: Receiver, tmp_path: Path) -> None:
    clock = ManualClock()
    receiver.answer("/crm", Reply(500))
    policy = hooked_policy(tmp_path, receiver.url("/crm"))
    store = PolicyStore({policy.tenant: policy})
    sent = delivery(receiver.url("/crm"), tenant=policy.tenant)
    runtime = build(Settings(), clock, poll=0.05)
    runtime.follow(store)
    with running(runtime) as events:
        events.enqueue(sent)
        failed = events.attempted(sent.id, 1, tenant=policy.tenant)
        store.put(hooked_policy(tmp_path, receiver.url("/crm"), webhooks=False))  # what a reload does
        assert failed.next_attempt_at is not None
        clock.advance(failed.next_attempt_at - clock.now() + timedelta(seconds=1))
        dead = events.settled(sent.id, DeliveryStatus.FAILED, tenant=policy.tenant)
        assert events.call(runtime.queue.replay(policy.tenant, sent.id)) is not None
        replayed = events.settled(sent.id, DeliveryStatus.FAILED, tenant=policy.tenant)
    assert (dead.attempts, dead.last_error) == (2, REMOVED)
    assert (replayed.attempts, replayed.last_error) == (1, REMOVED)
    assert len(receiver.received("/crm")) == 1  # neither the retry after the removal nor the replay


def test_a_tenant_gone_from_the_store_gets_nothing(receiver: Receiver, tmp_path: Path) -> None:
    policy = hooked_policy(tmp_path, receiver.url("/crm"))
    store = PolicyStore({policy.tenant: policy})
    store.remove(policy.path)
    sent = delivery(receiver.url("/crm"), tenant=policy.tenant)
    runtime = build(Settings())
    runtime.follow(store)
    with running(runtime) as events:
        events.enqueue(sent)
        dead = events.settled(sent.id, DeliveryStatus.FAILED, tenant=policy.tenant)
    assert (dead.attempts, dead.last_error) == (1, REMOVED)
    assert receiver.received() == []
