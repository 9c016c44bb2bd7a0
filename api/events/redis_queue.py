"""The delivery queue in Redis (REGAPI_REDIS_URL): deliveries survive a restart, and the processes that share
the Redis share the work without ever sending one delivery from two of them at the same time.

Keys (one hash tag, `{queue}`, so that a cluster keeps them in one slot, as the scripts need), under
`regapi:events:<environment>:` (`production` or `development`: two environments sharing a Redis share no
deliveries):

- `regapi:events:production:{queue}:delivery:<id>`: one delivery as JSON (its event, URL, the name of its
  secret's variable, never the secret; status, attempts, last answer). It expires FAILED_KEPT after its
  last write while PENDING or FAILED, DELIVERED_KEPT once DELIVERED;
- `...{queue}:due`: a sorted set of the PENDING ids by when they are due (milliseconds since
  the epoch). A claim (one Lua script, so atomic across processes) takes the due ones and moves them to
  `now + lease`: a process that dies in the middle of an attempt leaves them due again after the lease.
  An attempt's result is written (another script) only while its claim's score is still there;
- `...{queue}:tenant:<tenant>`: a sorted set of the tenant's ids by when they were enqueued,
  for the admin's listing; trimmed to the newest KEEP_PER_TENANT, the settled ones trimmed deleted in the
  same transaction (an older pending one still goes out).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis

from api.clock import Clock, SystemClock
from api.events.model import Delivery, DeliveryStatus, Event, EventType
from api.events.queue import DELIVERED_KEPT, FAILED_KEPT, KEEP_PER_TENANT, copied, replayed

log = logging.getLogger("regapi.events")

PREFIX = "regapi:events:"

# KEYS[1]: the due set. ARGV: now (ms), the lease's end (ms), limit. The ids due, each now due at the lease's
# end (given as text: Lua would write a number back with 14 digits only).
_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""

# KEYS[1]: the due set, KEYS[2]: the delivery, KEYS[3]: its tenant's listing. ARGV: id, the claim's score, the
# delivery's JSON, its expiry (seconds), when it is due next (ms; '' when settled). 1 when written, 0 when
# the claim was lost. Settled after it left the listing (trimmed while pending): deleted, as nothing lists it.
_SETTLE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then redis.call('DEL', KEYS[2]) return 1 end
else
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
end
redis.call('SET', KEYS[2], ARGV[3], 'EX', tonumber(ARGV[4]))
return 1
"""

# KEYS[1]: the due set, KEYS[2]: the delivery. ARGV: the JSON read, the JSON to write, its expiry (seconds),
# the id, when it is due (ms). 1 when written, 0 when the delivery changed since it was read.
_SWAP = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])
return 1
"""

# KEYS[1]: a tenant's listing, KEYS[2]: the due set. ARGV: how many to keep, the records' key prefix. The
# oldest beyond the bound leave the listing; those settled (not in the due set) are deleted with it, since
# nothing would read them again (a pending one stays until it is delivered, then expires).
_TRIM = """
local old = redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
for _, id in ipairs(old) do
  if not redis.call('ZSCORE', KEYS[2], id) then redis.call('DEL', ARGV[2] .. id) end
end
if #old > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #old - 1) end
return #old
"""

_Script = Callable[..., Awaitable[object]]


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parsed(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def encoded(delivery: Delivery) -> str:
    event = delivery.event
    return json.dumps(
        {
            "id": delivery.id,
            "event": {
                "id": event.id,
                "type": event.type.value,
                "tenant": event.tenant,
                "timestamp": event.timestamp.isoformat(),
                "data": event.data,
            },
            "url": delivery.url,
            "secret_env": delivery.secret_env,
            "status": delivery.status.value,
            "attempts": delivery.attempts,
            "next_attempt_at": _time(delivery.next_attempt_at),
            "last_attempt_at": _time(delivery.last_attempt_at),
            "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
        },
        ensure_ascii=False,
    )


def decoded(raw: bytes | str) -> Delivery:
    document = json.loads(raw)
    event = document["event"]
    timestamp = datetime.fromisoformat(event["timestamp"])
    return Delivery(
        id=document["id"],
        event=Event(event["id"], EventType(event["type"]), event["tenant"], timestamp, event["data"]),
        url=document["url"],
        secret_env=document["secret_env"],
        status=DeliveryStatus(document["status"]),
        attempts=document["attempts"],
        next_attempt_at=_parsed(document["next_attempt_at"]),
        last_attempt_at=_parsed(document["last_attempt_at"]),
        last_status_code=document["last_status_code"],
        last_error=document["last_error"],
    )


def _readable(delivery_id: str, raw: bytes | str | None) -> Delivery | None:
    if raw is None:
        return None
    try:
        return decoded(raw)
    except (ValueError, KeyError, TypeError):  # not a record this version can read: never sendable
        log.error("webhook delivery %s in Redis cannot be read; left out", delivery_id)
        return None


def _kept(delivery: Delivery) -> int:
    return int((DELIVERED_KEPT if delivery.status == DeliveryStatus.DELIVERED else FAILED_KEPT).total_seconds())


class RedisQueue:
    def __init__(
        self, url: str, clock: Clock | None = None, *, prefix: str = PREFIX, keep_per_tenant: int = KEEP_PER_TENANT
    ) -> None:
        # Bounded waits: a Redis that stops answering must not hold the deliverer (or a stop) for ever.
        self._redis: Redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        self._clock = clock or SystemClock()
        self._keys = prefix + "{queue}:"
        self._keep = keep_per_tenant
        self._claim = cast(_Script, self._redis.register_script(_CLAIM))
        self._settle = cast(_Script, self._redis.register_script(_SETTLE))
        self._swap = cast(_Script, self._redis.register_script(_SWAP))
        self._trim = cast(_Script, self._redis.register_script(_TRIM))
        self._leases: dict[str, int] = {}  # this process's claims not settled yet: id -> the claim's score
        self._wake: Callable[[], None] | None = None

    @property
    def _due(self) -> str:
        return self._keys + "due"

    def _record(self, delivery_id: str) -> str:
        return f"{self._keys}delivery:{delivery_id}"

    def _tenant(self, tenant: str) -> str:
        return f"{self._keys}tenant:{tenant}"

    def listen(self, wake: Callable[[], None] | None) -> None:
        self._wake = wake

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        now = self._clock.now()
        async with self._redis.pipeline(transaction=True) as pipe:
            for delivery in deliveries:
                record = copied(delivery)
                record.status, record.next_attempt_at = DeliveryStatus.PENDING, now
                pipe.set(self._record(record.id), encoded(record), ex=_kept(record))
                pipe.zadd(self._due, {record.id: millis(now)})
                pipe.zadd(self._tenant(record.event.tenant), {record.id: millis(now)})
            for tenant in {d.event.tenant for d in deliveries}:
                await self._trim(
                    keys=[self._tenant(tenant), self._due], args=[self._keep, self._record("")], client=pipe
                )
                pipe.expire(self._tenant(tenant), int(FAILED_KEPT.total_seconds()))
            await pipe.execute()
        if self._wake is not None:
            self._wake()

    async def deliveries(self, tenant: str, status: DeliveryStatus | None, limit: int = 100) -> list[Delivery]:
        key, start, page = self._tenant(tenant), 0, 200
        found: list[Delivery] = []
        while len(found) < limit:
            ids = [i.decode() for i in cast(list[bytes], await self._redis.zrevrange(key, start, start + page - 1))]
            if not ids:
                break
            start += page
            records = await self._redis.mget([self._record(i) for i in ids])
            gone = [delivery_id for delivery_id, raw in zip(ids, records, strict=True) if raw is None]
            if gone:  # expired: out of the listing too
                await self._redis.zrem(key, *gone)
                start -= len(gone)
            listed = (_readable(delivery_id, raw) for delivery_id, raw in zip(ids, records, strict=True))
            found += [d for d in listed if d is not None and (status is None or d.status == status)]
        return found[:limit]

    async def replay(self, tenant: str, delivery_id: str) -> Delivery | None:
        key = self._record(delivery_id)
        while True:
            raw = await self._redis.get(key)
            record = decoded(raw) if raw is not None else None
            if record is None or record.event.tenant != tenant or record.status != DeliveryStatus.FAILED:
                return None
            now = self._clock.now()
            replayed(record, now)
            # Written only if the record is still what was read: a concurrent replay of the same dead letter
            # makes this one read it again, and find it PENDING.
            if await self._swap(
                keys=[self._due, key], args=[raw, encoded(record), _kept(record), delivery_id, millis(now)]
            ):
                break
        if self._wake is not None:
            self._wake()
        return record

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        held = millis(now + lease)  # the score the claim gives them: what settle checks
        raw_ids = cast(list[bytes], await self._claim(keys=[self._due], args=[millis(now), held, limit]))
        ids = [i.decode() for i in raw_ids]
        if not ids:
            return []
        claimed, lost = [], []
        for delivery_id, raw in zip(ids, await self._redis.mget([self._record(i) for i in ids]), strict=True):
            record = _readable(delivery_id, raw)
            if record is None:
                lost.append(delivery_id)  # expired (or unreadable): nothing left to send
                continue
            self._leases[delivery_id] = held
            claimed.append(record)
        if lost:
            await self._redis.zrem(self._due, *lost)
        return claimed

    async def settle(self, delivery: Delivery) -> None:
        held = self._leases.pop(delivery.id, None)
        if held is None:
            return
        due = ""
        if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
            due = str(millis(delivery.next_attempt_at))
        await self._settle(
            keys=[self._due, self._record(delivery.id), self._tenant(delivery.event.tenant)],
            args=[delivery.id, held, encoded(delivery), _kept(delivery), due],
        )

    async def next_due(self) -> datetime | None:
        first = cast(list[tuple[bytes, float]], await self._redis.zrange(self._due, 0, 0, withscores=True))
        if not first:
            return None
        return datetime.fromtimestamp(first[0][1] / 1000, tz=UTC)

    async def close(self) -> None:
        self._wake = None
        await self._redis.aclose()
