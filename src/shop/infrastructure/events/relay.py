"""The outbox relay: publishes committed events, in commit order, at least once.

Rows are marked published only after the publisher accepted them, so an
outage of Redis delays events and never loses them; the relay backs off and
retries the same batch until it goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from opentelemetry.trace import Tracer
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.domain.shared.events import DomainEvent
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.outbox import (
    fetch_unpublished,
    mark_published,
    oldest_unpublished_at,
)
from shop.infrastructure.events.leader_lock import LeaderLock
from shop.infrastructure.events.publishers import EventPublisher
from shop.infrastructure.events.relay_wake import RelayWake
from shop.infrastructure.observability.metrics import (
    OUTBOX_EVENTS_PUBLISHED,
    OUTBOX_OLDEST_UNPUBLISHED_AGE_SECONDS,
)
from shop.infrastructure.observability.tracing import producer_spans

log = logging.getLogger("shop.outbox")

_MAX_BACKOFF_SECONDS = 5.0
_STOP_GRACE_SECONDS = 5.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        publisher: EventPublisher,
        lock: LeaderLock,
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        cross_process_wake: RelayWake | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._lock = lock
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._cross_process_wake = cross_process_wake
        self._committed_here = False
        self._follow_until = 0.0
        """Event-loop time until which this process takes another's lead as known."""
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._stopping = False
        self._failures = 0
        self._tracer = tracer

    def wake(self, _events: Sequence[DomainEvent] = ()) -> None:
        """Called after a commit so new events leave at once instead of at the next poll
        (if another process leads, this one tells it on its next pass)."""
        self._committed_here = True
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch of pending events; returns how many went out."""
        async with self._engine.connect() as conn:
            messages = await fetch_unpublished(conn, self._batch_size)
        self._observe_oldest(messages[0].occurred_at if messages else None)
        if not messages:
            return 0
        if self._tracer is None:
            await self._publisher.publish(messages)
        else:
            with producer_spans(self._tracer, [(m.event_type, m.traceparent) for m in messages]):
                await self._publisher.publish(messages)
        async with write_transaction(self._engine) as conn:
            await mark_published(conn, [m.position for m in messages], datetime.now(UTC))
        for event_type, count in Counter(m.event_type for m in messages).items():
            OUTBOX_EVENTS_PUBLISHED.labels(type=event_type).inc(count)
        return len(messages)

    async def drain(self) -> int:
        """Publish everything pending now (used at shutdown and by tests)."""
        total = 0
        while sent := await self.relay_once():
            total += sent
        return total

    @staticmethod
    def _observe_oldest(oldest: datetime | None) -> None:
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        OUTBOX_OLDEST_UNPUBLISHED_AGE_SECONDS.set(max(0.0, age))

    async def observe_backlog(self) -> None:
        """Measure the oldest unpublished row's age (a non-leader's view of the relay)."""
        async with self._engine.connect() as conn:
            self._observe_oldest(await oldest_unpublished_at(conn))

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-relay")
        if self._cross_process_wake is not None and self._listener is None:
            self._listener = asyncio.create_task(self._cross_process_wake.listen(self._wake.set),
                                                 name="outbox-relay-wake")

    async def stop(self) -> None:
        """Let the current pass finish (cancelling mid-statement can wedge a driver),
        publish what is pending, and give up the lead."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), _STOP_GRACE_SECONDS)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        try:
            async with asyncio.timeout(_STOP_GRACE_SECONDS):
                if await self._lock.hold():
                    await self.drain()
                await self._lock.release()
        except Exception as error:
            log.warning("outbox not drained at shutdown (the next relay will publish it): %s",
                        error)

    async def _pass(self, committed_here: bool) -> None:
        """Relay as the leader; as a follower, tell the leader about this process's commits.

        A follower asks for the lead (a Redis round trip) and reads the
        outbox's backlog (a database read) at most once per poll interval,
        as it would idle: under load its own commits wake it many times a
        second, and the lease it could take over lasts seconds. Between
        those checks a wake only tells the leader, if this process committed.
        """
        now = asyncio.get_running_loop().time()
        if now < self._follow_until:
            await self._announce(committed_here)
            return
        if await self._lock.hold():
            self._follow_until = 0.0
            while await self.relay_once() == self._batch_size:
                pass
            return
        self._follow_until = now + self._poll_seconds
        await self._announce(committed_here)
        await self.observe_backlog()

    async def _announce(self, committed_here: bool) -> None:
        if committed_here and self._cross_process_wake is not None:
            await self._cross_process_wake.announce()

    async def _stopped(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self._wake.wait()

    async def _run(self) -> None:
        while not self._stopping:
            delay = self._poll_seconds
            self._wake.clear()  # before the pass: a commit during it wakes the next one
            committed_here, self._committed_here = self._committed_here, False
            try:
                await self._pass(committed_here)
                if self._failures:
                    log.info("outbox relay recovered after %d failed attempts", self._failures)
                self._failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._failures += 1
                delay = min(_MAX_BACKOFF_SECONDS, self._poll_seconds * 2 ** self._failures)
                log.warning("outbox relay failed (attempt %d), retrying in %.1fs: %s",
                            self._failures, delay, error)
            if self._stopping:
                return
            if self._failures:  # back off for real: commits must not hammer a dead broker
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped(), delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
