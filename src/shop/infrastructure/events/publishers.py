"""Where the outbox relay sends events: a Redis Stream, or this process's consumers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from redis.asyncio import Redis

from shop.infrastructure.db.outbox import OutboxMessage
from shop.infrastructure.events.received import RawEvent


class EventPublisher(Protocol):
    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        """Deliver all messages in order, or raise: the relay then retries them all."""
        ...


class RedisStreamPublisher:
    """Appends each event to the contract's stream with `type`, `id`, `occurred_at`, `data`."""

    def __init__(self, redis: Redis, stream: str, maxlen: int | None = None) -> None:
        self._redis = redis
        self._stream = stream
        self._maxlen = maxlen

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.xadd(self._stream, RawEvent.from_outbox(message).fields(),  # type: ignore[arg-type]
                          maxlen=self._maxlen, approximate=True)
            await pipe.execute()


class InProcessEventPublisher:
    """The embedded default: the events stay in the outbox, where this process's consumers
    read them; publishing only wakes those consumers (given at construction)."""

    def __init__(self, wake: Sequence[Callable[[], None]] = ()) -> None:
        self._wake = tuple(wake)

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            for wake in self._wake:
                wake()
