"""How far each embedded event consumer has read in the outbox (survives a restart)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.outbox import last_position
from shop.infrastructure.db.schema import consumer_positions


async def ensure_positions(engine: AsyncEngine, consumers: Iterable[str], now: datetime) -> None:
    """Give each consumer seen for the first time the outbox's current end as its position.

    A consumer reads what is committed after it first started, as a new Redis
    consumer group does; another process starting at the same moment may insert
    the row first, which is as good.
    """
    async with engine.connect() as conn:
        known = set((await conn.execute(sa.select(consumer_positions.c.consumer))).scalars())
    for name in consumers:
        if name in known:
            continue
        try:
            async with write_transaction(engine) as conn:
                start = await last_position(conn)
                await conn.execute(sa.insert(consumer_positions).values(
                    consumer=name, position=start, updated_at=now))
        except IntegrityError:
            continue


async def read_position(conn: AsyncConnection, consumer: str) -> int:
    value = await conn.scalar(sa.select(consumer_positions.c.position)
                              .where(consumer_positions.c.consumer == consumer))
    if value is None:
        raise LookupError(f"no outbox position for consumer {consumer!r}")
    return int(value)


async def save_position(conn: AsyncConnection, consumer: str, position: int,
                        now: datetime) -> None:
    """Move forward only: a slower process sharing the database never moves it back."""
    await conn.execute(
        sa.update(consumer_positions)
        .where(consumer_positions.c.consumer == consumer,
               consumer_positions.c.position < position)
        .values(position=position, updated_at=now)
    )
