"""The transactional outbox: events written in the aggregates' own transaction."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.domain.shared.events import DomainEvent
from shop.infrastructure.db.schema import outbox
from shop.infrastructure.observability.tracing import current_traceparent

_ENVELOPE_FIELDS = {"event_id", "occurred_at"}
_encoder = msgspec.json.Encoder(decimal_format="string")


def event_data(event: DomainEvent) -> dict[str, Any]:
    """The event's own fields (the `data` of the stream entry), minus the envelope."""
    return {
        f.name: getattr(event, f.name)
        for f in dataclasses.fields(event)
        if f.name not in _ENVELOPE_FIELDS
    }


def encode_data(event: DomainEvent) -> str:
    return _encoder.encode(event_data(event)).decode()


@dataclass(frozen=True)
class OutboxMessage:
    """One stored event as the relay hands it to a publisher."""

    position: int
    event_id: uuid.UUID
    event_type: str
    aggregate_id: uuid.UUID
    occurred_at: datetime
    data_json: str
    traceparent: str | None = None
    """The trace of the command that wrote the event, when tracing was on."""


_INSERT_EVENTS = sa.insert(outbox)
_MARK_PUBLISHED = (sa.update(outbox)
                   .where(outbox.c.id.in_(sa.bindparam("positions", expanding=True))))
"""The relay's mark, built once like the order path's statements (see
`base_repository._versioned_update`); its SET comes from the parameters."""


async def append_to_outbox(conn: AsyncConnection, events: Sequence[DomainEvent]) -> None:
    if not events:
        return
    traceparent = current_traceparent()
    await conn.execute(
        _INSERT_EVENTS,
        [
            {
                "event_id": event.event_id,
                "event_type": event.type_name,
                "aggregate_id": event.aggregate_id,
                "occurred_at": event.occurred_at,
                "payload": encode_data(event),
                "traceparent": traceparent,
            }
            for event in events
        ],
    )


async def fetch_unpublished(conn: AsyncConnection, limit: int) -> list[OutboxMessage]:
    # Built per call: a literal LIMIT lets SQL Server's dialect use TOP (a bound one
    # makes it number every unpublished row).
    rows = await conn.execute(
        sa.select(outbox)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [_message(row) for row in rows]


async def fetch_after(conn: AsyncConnection, position: int, limit: int) -> list[OutboxMessage]:
    """Committed events past `position`, in commit order (the embedded consumers' read)."""
    rows = await conn.execute(
        sa.select(outbox).where(outbox.c.id > position).order_by(outbox.c.id).limit(limit)
    )
    return [_message(row) for row in rows]


async def last_position(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(outbox.c.id), 0))) or 0)


async def oldest_unpublished_at(conn: AsyncConnection) -> datetime | None:
    """When the oldest event still waiting for the relay occurred (None when none waits)."""
    value: datetime | None = await conn.scalar(
        sa.select(outbox.c.occurred_at).where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id).limit(1)
    )
    return value


def _message(row: sa.Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        position=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        aggregate_id=row.aggregate_id,
        occurred_at=row.occurred_at,
        data_json=row.payload,
        traceparent=row.traceparent,
    )


async def mark_published(
    conn: AsyncConnection, positions: Sequence[int], published_at: datetime
) -> None:
    await conn.execute(_MARK_PUBLISHED, {"positions": list(positions),
                                         "published_at": published_at})
