"""The processed-events record: how a database-writing consumer applies an event once."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.infrastructure.db.schema import processed_events


async def claim_event(
    conn: AsyncConnection, consumer: str, event_id: uuid.UUID, now: datetime
) -> bool:
    """Record that `consumer` applies `event_id` in this transaction; False if it already did.

    Call it first inside the transaction that makes the consumer's effect. Two
    deliveries racing past the check both insert: the primary key fails the
    second one's transaction, its effect rolls back with it, and its
    redelivery then finds the record and returns False.
    """
    seen = await conn.scalar(
        sa.select(sa.literal(1)).where(
            processed_events.c.consumer == consumer,
            processed_events.c.event_id == event_id,
        )
    )
    if seen is not None:
        return False
    await conn.execute(
        sa.insert(processed_events).values(consumer=consumer, event_id=event_id,
                                           processed_at=now)
    )
    return True
