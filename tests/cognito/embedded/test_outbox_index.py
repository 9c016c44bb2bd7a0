"""The outbox keeps its last messages, and the same by username, in step: when old messages make room,
and when many threads deliver at once (the embedded Cognito delivers from every request's thread)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from api.cognito.embedded.outbox import Outbox, OutboxMessage


def message(username: str, n: int) -> OutboxMessage:
    return OutboxMessage("pool", "shop", username, "SIGN_UP_CODE", f"{username}@x.example", datetime.now(UTC), f"{n}")


def test_old_messages_make_room_for_new_ones_in_every_view() -> None:
    outbox = Outbox(console=None, limit=3)
    for n, username in enumerate(["ann", "bob", "ann", "cid", "ann"]):
        outbox.deliver(message(username, n))
    assert [(m.username, m.code) for m in outbox.messages()] == [("ann", "2"), ("cid", "3"), ("ann", "4")]
    assert [m.code for m in outbox.messages(username="ann")] == ["2", "4"]
    assert outbox.messages(username="bob") == []
    assert outbox.messages(tenant="other") == []
    assert [m.code for m in outbox.messages(tenant="shop", username="cid")] == ["3"]


def test_deliveries_from_many_threads_keep_the_views_in_step() -> None:
    outbox = Outbox(console=None, limit=500)
    barrier = threading.Barrier(32)

    def deliver(thread: int) -> None:
        barrier.wait(10)
        for n in range(100):
            outbox.deliver(message(f"user{(thread * 100 + n) % 40}", n))

    threads = [threading.Thread(target=deliver, args=(t,)) for t in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everything = outbox.messages()
    assert len(everything) == 500
    for user in {m.username for m in everything} | {"user0", "user39"}:
        assert outbox.messages(username=user) == [m for m in everything if m.username == user]
