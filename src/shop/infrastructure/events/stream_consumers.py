"""The Redis consumer runtime: every event consumer as a consumer group on the events stream.

Each consumer is a group named after it, so each sees every event once, and
any number of processes (`shop worker`) share the work of a group. An entry is
acknowledged (`XACK`) only after the handler returned, i.e. after its effect
committed. An entry left pending, by a handler that raised or a process that
died, is claimed (`XAUTOCLAIM`) by any live process once it has been idle for
`claim_idle_seconds`, and handed to the consumer again; after
`max_deliveries` deliveries it goes to the dead-letter stream `<stream>:dead`
(with the error and the consumer's name) and is acknowledged, in one
`MULTI`, so it is neither lost nor retried forever.

A Redis outage stops consumption; each consumer retries with backoff and goes
on from its group's state when Redis is back (nothing was acknowledged that
was not handled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shop.application.consumers import EventConsumer
from shop.infrastructure.events.dead_letters import DEAD_STREAM_MAXLEN, RedisDeadLetters
from shop.infrastructure.events.delivery import ConsumerPolicy, describe, handle_counted
from shop.infrastructure.events.received import MalformedEvent, RawEvent
from shop.infrastructure.observability.metrics import (
    CONSUMER_GROUP_LAG,
    CONSUMER_GROUP_PENDING,
    EVENTS_DEAD_LETTERED,
)

log = logging.getLogger("shop.consumers")

MAX_BACKOFF_SECONDS = 5.0
OBSERVE_SECONDS = 5.0
"""How often group lag and pending counts are read into the metrics."""
STOP_GRACE_SECONDS = 10.0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def worker_name() -> str:
    """This process's name inside every group: host, pid and a nonce (pids are reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def ensure_groups(redis: Redis, stream: str, consumers: Sequence[EventConsumer],
                        start: str = "$") -> None:
    """Create each consumer's group (and the stream) if missing; existing groups are kept.

    A new group starts at the stream's end: a consumer sees what is committed
    after its group first existed. Every shop process ensures the groups at
    start, so events committed before the first worker runs are kept for it.
    """
    for consumer in consumers:
        try:
            await redis.xgroup_create(stream, consumer.name, id=start, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise


class StreamConsumerRuntime:
    def __init__(
        self,
        redis: Redis,
        stream: str,
        consumers: Sequence[EventConsumer],
        dead_letters: RedisDeadLetters,
        policy: ConsumerPolicy,
        name: str | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._consumers = tuple(consumers)
        self._dead = dead_letters
        self._policy = policy
        self._tracer = tracer
        self.name = name or worker_name()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        if self._tasks or not self._consumers:
            return
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self._run(consumer), name=f"consumer-{consumer.name}")
                       for consumer in self._consumers]
        self._tasks.append(asyncio.create_task(self._observe(), name="consumer-groups-metrics"))

    async def stop(self) -> None:
        """Finish the batch in hand (a blocked read returns within `block_seconds`)."""
        if not self._tasks:
            return
        self._stopping.set()
        _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._leave_groups()

    async def _run(self, consumer: EventConsumer) -> None:
        failures = 0
        grouped = False
        next_claim = 0.0
        while not self._stopping.is_set():
            try:
                if not grouped:
                    await ensure_groups(self._redis, self._stream, [consumer])
                    grouped = True
                if time.monotonic() >= next_claim:
                    await self._claim_stale(consumer)
                    next_claim = time.monotonic() + self._policy.claim_idle_seconds / 2
                await self._read_new(consumer)
                if failures:
                    log.info("consumer %s reconnected after %d failed attempts",
                             consumer.name, failures)
                failures = 0
            except Exception as error:
                if "NOGROUP" in str(error):
                    # The stream or group was deleted (or Redis lost its data): recreate
                    # it from the start of whatever the stream holds now.
                    with contextlib.suppress(Exception):
                        await ensure_groups(self._redis, self._stream, [consumer], start="0")
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 0.1 * 2 ** failures)
                log.warning("consumer %s cannot reach the stream (attempt %d), retrying in "
                            "%.1fs: %s", consumer.name, failures, delay, describe(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)

    async def _read_new(self, consumer: EventConsumer) -> None:
        answer: Any = await self._redis.xreadgroup(
            consumer.name, self.name, {self._stream: ">"},
            count=self._policy.batch_size, block=int(self._policy.block_seconds * 1000),
        )
        for _stream, entries in answer or ():
            await self._process_batch(consumer, entries, dict.fromkeys(
                (_text(entry_id) for entry_id, _ in entries), 1))

    async def _process_batch(self, consumer: EventConsumer, entries: Sequence[tuple[Any, Any]],
                             deliveries: Mapping[str, int]) -> None:
        """Handle the entries in order, then acknowledge the handled ones in one round trip
        (a crash before it redelivers them; the consumers are idempotent)."""
        done: list[str] = []
        try:
            for entry_id, fields in entries:
                entry = _text(entry_id)
                if await self._process(consumer, entry, fields,
                                       deliveries.get(entry, self._policy.max_deliveries)):
                    done.append(entry)
        finally:
            if done:
                await self._redis.xack(self._stream, consumer.name, *done)

    async def _claim_stale(self, consumer: EventConsumer) -> None:
        """Take over the group's entries idle past `claim_idle_seconds` and retry them."""
        start: bytes | str = "0-0"
        while not self._stopping.is_set():
            answer: list[Any] = await self._redis.xautoclaim(
                self._stream, consumer.name, self.name,
                min_idle_time=int(self._policy.claim_idle_seconds * 1000),
                start_id=start, count=self._policy.batch_size,
            )
            start, claimed = answer[0], answer[1]
            if claimed:
                await self._process_batch(consumer, claimed,
                                          await self._delivery_counts(consumer.name, claimed))
            if _text(start) == "0-0":  # the scan of the pending entries went round
                return

    async def _delivery_counts(self, group: str,
                               claimed: Sequence[tuple[Any, Any]]) -> dict[str, int]:
        pending: list[dict[str, Any]] = await self._redis.xpending_range(
            self._stream, group, min=claimed[0][0], max=claimed[-1][0],
            count=len(claimed) + self._policy.batch_size, consumername=self.name,
        )
        return {_text(item["message_id"]): int(item["times_delivered"]) for item in pending}

    async def _process(self, consumer: EventConsumer, entry_id: str,
                       fields: Mapping[bytes, bytes] | None, deliveries: int) -> bool:
        """Deliver one entry; True when it is done with and is to be acknowledged."""
        if fields is None:  # trimmed from the stream while pending: nothing to deliver
            return True
        raw = RawEvent.from_stream(fields)
        try:
            event = raw.parse()
        except MalformedEvent as error:
            await self._give_up(consumer, entry_id, raw, describe(error), deliveries)
            return False
        if event.type not in consumer.event_types:
            return True
        try:
            await handle_counted(consumer, event, tracer=self._tracer,
                                 traceparent=raw.traceparent)
        except Exception as error:
            log.warning("consumer %s failed on %s %s (delivery %d of %d): %s", consumer.name,
                        event.type, event.event_id, deliveries, self._policy.max_deliveries,
                        describe(error))
            if deliveries >= self._policy.max_deliveries:
                await self._give_up(consumer, entry_id, raw, describe(error), deliveries)
            return False  # left pending: claimed and retried after claim_idle_seconds
        return True

    async def _give_up(self, consumer: EventConsumer, entry_id: str, raw: RawEvent,
                       error: str, deliveries: int) -> None:
        """Move the entry to the dead letters and acknowledge it, atomically."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._dead.stream,
                      RedisDeadLetters.entry(consumer.name, raw, error, deliveries),  # type: ignore[arg-type]
                      maxlen=DEAD_STREAM_MAXLEN, approximate=True)
            pipe.xack(self._stream, consumer.name, entry_id)
            await pipe.execute()
        EVENTS_DEAD_LETTERED.labels(consumer.name).inc()
        log.error("consumer %s gave up on %s %s after %d deliveries; kept in %s: %s",
                  consumer.name, raw.type, raw.id, deliveries, self._dead.stream, error)

    async def _observe(self) -> None:
        """Keep the lag and pending gauges of this shop's groups current."""
        names = {consumer.name for consumer in self._consumers}
        while not self._stopping.is_set():
            with contextlib.suppress(Exception):
                for group in await self._redis.xinfo_groups(self._stream):
                    name = _text(group["name"])
                    if name in names:
                        CONSUMER_GROUP_PENDING.labels(name).set(int(group["pending"]))
                        if group.get("lag") is not None:
                            CONSUMER_GROUP_LAG.labels(name).set(int(group["lag"]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), OBSERVE_SECONDS)

    async def _leave_groups(self) -> None:
        """Remove this process from the groups where it owns nothing pending (keeps
        `XINFO CONSUMERS` readable); an owner of pending entries stays, so they are claimed."""
        for consumer in self._consumers:
            with contextlib.suppress(Exception):
                mine = await self._redis.xpending_range(self._stream, consumer.name, min="-",
                                                        max="+", count=1,
                                                        consumername=self.name)
                if not mine:
                    await self._redis.xgroup_delconsumer(self._stream, consumer.name, self.name)
