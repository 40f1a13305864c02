"""Where the outbox relay sends events: a Redis Stream, or subscribers in this process."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from shop.infrastructure.db.outbox import OutboxMessage

log = logging.getLogger("shop.events")


@dataclass(frozen=True)
class PublishedEvent:
    """An event as consumers see it: the fields of a `shop:events` stream entry."""

    type: str
    id: str
    occurred_at: str
    data: dict[str, Any]

    @classmethod
    def of(cls, message: OutboxMessage) -> PublishedEvent:
        return cls(
            type=message.event_type,
            id=str(message.event_id),
            occurred_at=message.occurred_at.isoformat().replace("+00:00", "Z"),
            data=json.loads(message.data_json),
        )


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
                event = PublishedEvent.of(message)
                pipe.xadd(
                    self._stream,
                    {"type": event.type, "id": event.id, "occurred_at": event.occurred_at,
                     "data": message.data_json},
                    maxlen=self._maxlen,
                    approximate=True,
                )
            await pipe.execute()


Subscriber = Callable[[PublishedEvent], Awaitable[None]]


class InProcessEventPublisher:
    """The embedded default: hands events to the subscribers it was built with, in this process."""

    def __init__(self, subscribers: Sequence[Subscriber] = ()) -> None:
        self._subscribers = tuple(subscribers)

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            event = PublishedEvent.of(message)
            for subscriber in self._subscribers:
                try:
                    await subscriber(event)
                except Exception:
                    log.exception("in-process event subscriber failed", extra={"id": event.id})
