"""Events a consumer gave up on, kept so that an operator can read and replay them.

With Redis they are entries of `<stream>:dead`; on the embedded default, rows
of the `dead_letters` table. `replay_dead_letter` runs the named consumer on
the kept event again (only that consumer: the others already handled it) and
removes the letter once the handler succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.consumers import EventConsumer
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.schema import dead_letters
from shop.infrastructure.events.delivery import handle_counted
from shop.infrastructure.events.received import FIELDS, RawEvent, format_occurred_at

DEAD_STREAM_MAXLEN = 100_000


@dataclass(frozen=True)
class DeadLetter:
    id: str
    consumer: str
    event: RawEvent
    error: str
    deliveries: int
    failed_at: datetime


class DeadLetterStore(Protocol):
    async def add(self, consumer: str, event: RawEvent, error: str, deliveries: int) -> None: ...
    async def oldest(self, limit: int) -> list[DeadLetter]: ...
    async def get(self, letter_id: str) -> DeadLetter | None: ...
    async def remove(self, letter_id: str) -> None: ...


class UnknownDeadLetter(LookupError):
    pass


class RedisDeadLetters:
    """The dead-letter stream `<stream>:dead`: the entry's fields plus consumer and error."""

    def __init__(self, redis: Redis, stream: str) -> None:
        self._redis = redis
        self.stream = f"{stream}:dead"

    @staticmethod
    def entry(consumer: str, event: RawEvent, error: str, deliveries: int) -> dict[str, str]:
        return {**event.fields(), "consumer": consumer, "error": error,
                "deliveries": str(deliveries),
                "failed_at": format_occurred_at(datetime.now(UTC))}

    async def add(self, consumer: str, event: RawEvent, error: str, deliveries: int) -> None:
        await self._redis.xadd(self.stream, self.entry(consumer, event, error, deliveries),  # type: ignore[arg-type]
                               maxlen=DEAD_STREAM_MAXLEN, approximate=True)

    async def oldest(self, limit: int) -> list[DeadLetter]:
        entries: list[Any] = await self._redis.xrange(self.stream, count=limit) or []
        return [_letter(entry_id, fields) for entry_id, fields in entries]

    async def get(self, letter_id: str) -> DeadLetter | None:
        try:
            found: list[Any] = await self._redis.xrange(self.stream, min=letter_id,
                                                        max=letter_id) or []
        except Exception as error:  # an id that is not a stream id
            if "Invalid stream ID" in str(error):
                return None
            raise
        return _letter(*found[0]) if found else None

    async def remove(self, letter_id: str) -> None:
        await self._redis.xdel(self.stream, letter_id)


def _letter(entry_id: bytes, fields: dict[bytes, bytes]) -> DeadLetter:
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return DeadLetter(
        id=entry_id.decode(),
        consumer=text.get("consumer", ""),
        event=RawEvent(**{name: text.get(name, "") for name in FIELDS}),
        error=text.get("error", ""),
        deliveries=int(text.get("deliveries", "0") or 0),
        failed_at=datetime.fromisoformat(text["failed_at"]),
    )


class SqlDeadLetters:
    """The embedded default's dead letters: rows of `dead_letters`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, consumer: str, event: RawEvent, error: str, deliveries: int) -> None:
        async with write_transaction(self._engine) as conn:
            await conn.execute(sa.insert(dead_letters).values(
                consumer=consumer, event_type=event.type, event_id=event.id,
                occurred_at=event.occurred_at, payload=event.data, error=error,
                deliveries=deliveries, failed_at=datetime.now(UTC)))

    async def oldest(self, limit: int) -> list[DeadLetter]:
        return await self._select(sa.select(dead_letters).order_by(dead_letters.c.id).limit(limit))

    async def get(self, letter_id: str) -> DeadLetter | None:
        if not letter_id.isdigit():
            return None
        found = await self._select(sa.select(dead_letters)
                                   .where(dead_letters.c.id == int(letter_id)))
        return found[0] if found else None

    async def remove(self, letter_id: str) -> None:
        async with write_transaction(self._engine) as conn:
            await conn.execute(sa.delete(dead_letters).where(dead_letters.c.id == int(letter_id)))

    async def _select(self, query: sa.Select[tuple[object, ...]]) -> list[DeadLetter]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            DeadLetter(id=str(row.id), consumer=row.consumer,
                       event=RawEvent(type=row.event_type, id=row.event_id,
                                      occurred_at=row.occurred_at, data=row.payload),
                       error=row.error, deliveries=row.deliveries, failed_at=row.failed_at)
            for row in rows
        ]


async def replay_dead_letter(
    store: DeadLetterStore, consumers: Sequence[EventConsumer], letter_id: str
) -> DeadLetter:
    """Hand the kept event to its consumer once more; the letter goes when that succeeded.

    Raises `UnknownDeadLetter` for an id that is not kept (or a consumer that no
    longer exists), and whatever the handler raises when it fails again (the
    letter is then kept).
    """
    letter = await store.get(letter_id)
    if letter is None:
        raise UnknownDeadLetter(f"no dead letter {letter_id!r}")
    consumer = next((c for c in consumers if c.name == letter.consumer), None)
    if consumer is None:
        raise UnknownDeadLetter(f"dead letter {letter_id} belongs to {letter.consumer!r}, "
                                "which is not one of this shop's consumers")
    await handle_counted(consumer, letter.event.parse())
    await store.remove(letter_id)
    return letter
