"""The embedded consumer runtime: event consumers fed from the outbox, in this process.

With no Redis the outbox is the event log. Each consumer reads the rows past
its own position (a row of `consumer_positions`, so what was committed but not
yet consumed when the process stopped is consumed at the next start), in
commit order, one task per consumer so a slow one delays no other. A commit
wakes them through the in-process publisher; they also poll, for commits made
by another process on the same database.

A failing handler is retried with a doubling pause up to the retry budget;
then the event goes to the dead letters and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from opentelemetry.trace import Tracer
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.consumers import EventConsumer
from shop.infrastructure.db.consumer_positions import (
    ensure_positions,
    read_position,
    save_position,
)
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.outbox import OutboxMessage, fetch_after
from shop.infrastructure.events.dead_letters import DeadLetterStore
from shop.infrastructure.events.delivery import ConsumerPolicy, describe, handle_counted
from shop.infrastructure.events.received import MalformedEvent, RawEvent
from shop.infrastructure.observability.metrics import EVENTS_DEAD_LETTERED

log = logging.getLogger("shop.consumers")

HOLE_GRACE_SECONDS = 2.0
"""A hole in the outbox ids is a transaction still committing (PostgreSQL hands out ids
before commit) or one that rolled back; past this age it is taken for the latter."""
MAX_BACKOFF_SECONDS = 5.0
STOP_GRACE_SECONDS = 10.0


class OutboxConsumerRuntime:
    def __init__(
        self,
        engine: AsyncEngine,
        consumers: Sequence[EventConsumer],
        dead_letters: DeadLetterStore,
        policy: ConsumerPolicy,
        tracer: Tracer | None = None,
    ) -> None:
        self._engine = engine
        self._tracer = tracer
        self._consumers = tuple(consumers)
        self._dead_letters = dead_letters
        self._policy = policy
        self._wakes = {consumer.name: asyncio.Event() for consumer in self._consumers}
        self._holes: dict[str, tuple[int, float]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def wake(self) -> None:
        """New events were committed: read them now rather than at the next poll."""
        for event in self._wakes.values():
            event.set()

    async def start(self) -> None:
        """Record the starting position of new consumers before anything else commits."""
        if self._tasks or not self._consumers:
            return
        self._stopping = False
        await ensure_positions(self._engine, [c.name for c in self._consumers],
                               datetime.now(UTC))
        self._tasks = [asyncio.create_task(self._run(consumer), name=f"consumer-{consumer.name}")
                       for consumer in self._consumers]

    async def stop(self) -> None:
        """Let each consumer finish the event in hand (its position is then saved)."""
        if not self._tasks:
            return
        self._stopping = True
        self.wake()
        _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain(self) -> None:
        """Consume everything committed so far (tests and benchmarks wait on this)."""
        for consumer in self._consumers:
            while await self.consume_once(consumer) == self._policy.batch_size:
                pass

    async def _run(self, consumer: EventConsumer) -> None:
        failures = 0
        wake = self._wakes[consumer.name]
        while not self._stopping:
            wake.clear()  # before the pass: a commit during it wakes the next one
            try:
                read = await self.consume_once(consumer)
                failures = 0
            except Exception as error:
                failures += 1
                read = 0
                log.warning("consumer %s could not read the outbox (attempt %d): %s",
                            consumer.name, failures, describe(error))
            if read == self._policy.batch_size:
                continue
            pause = (min(MAX_BACKOFF_SECONDS, self._policy.poll_seconds * 2 ** failures)
                     if failures else self._policy.poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), pause)

    async def consume_once(self, consumer: EventConsumer) -> int:
        """Hand one batch past the consumer's position to it; returns how many rows were read."""
        async with self._engine.connect() as conn:
            position = await read_position(conn, consumer.name)
            messages = await fetch_after(conn, position, self._policy.batch_size)
        done = position
        try:
            for message in self._without_holes(consumer.name, position, messages):
                if not await self._deliver(consumer, message):
                    break
                done = message.position
        finally:
            if done != position:
                async with write_transaction(self._engine) as conn:
                    await save_position(conn, consumer.name, done, datetime.now(UTC))
        return len(messages)

    def _without_holes(self, name: str, position: int,
                       messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        """The rows up to the first young hole in the ids: a later commit may still fill it."""
        taken: list[OutboxMessage] = []
        expected = position + 1
        for message in messages:
            if message.position != expected:
                hole, seen_at = self._holes.setdefault(name, (expected, time.monotonic()))
                if hole != expected:
                    self._holes[name] = (expected, time.monotonic())
                    break
                if time.monotonic() - seen_at < HOLE_GRACE_SECONDS:
                    break
            self._holes.pop(name, None)
            taken.append(message)
            expected = message.position + 1
        return taken

    async def _deliver(self, consumer: EventConsumer, message: OutboxMessage) -> bool:
        """Handle one event, retrying; False only when stopping interrupted the retries."""
        raw = RawEvent.from_outbox(message)
        try:
            event = raw.parse()
        except MalformedEvent as error:
            await self._give_up(consumer, raw, describe(error), 1)
            return True
        if event.type not in consumer.event_types:
            return True
        pause = self._policy.retry_seconds
        for attempt in range(1, self._policy.max_deliveries + 1):
            try:
                await handle_counted(consumer, event, tracer=self._tracer,
                                     traceparent=raw.traceparent)
                return True
            except Exception as error:
                log.warning("consumer %s failed on %s %s (attempt %d of %d): %s",
                            consumer.name, event.type, event.event_id, attempt,
                            self._policy.max_deliveries, describe(error))
                last = error
            if attempt < self._policy.max_deliveries:
                if not await self._pause(consumer.name, pause):
                    return False
                pause = min(MAX_BACKOFF_SECONDS, pause * 2)
        await self._give_up(consumer, raw, describe(last), self._policy.max_deliveries)
        return True

    async def _pause(self, name: str, seconds: float) -> bool:
        """Sleep between attempts; False when the runtime is stopping."""
        deadline = time.monotonic() + seconds
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakes[name].wait(), left)
            self._wakes[name].clear()
        return not self._stopping

    async def _give_up(self, consumer: EventConsumer, raw: RawEvent, error: str,
                       deliveries: int) -> None:
        await self._dead_letters.add(consumer.name, raw, error, deliveries)
        EVENTS_DEAD_LETTERED.labels(consumer.name).inc()
        log.error("consumer %s gave up on %s %s after %d attempts; kept as a dead letter: %s",
                  consumer.name, raw.type, raw.id, deliveries, error)
