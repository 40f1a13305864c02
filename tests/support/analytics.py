"""Test helpers for the analytics projections: feed them the outbox, read them back whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.consumers import EventConsumer, ReceivedEvent
from shop.bootstrap import ShopRuntime
from shop.infrastructure.db.analytics_rebuild import PROJECTION_TABLES
from shop.infrastructure.db.schema import analytics_product_stock, outbox

AMOUNT_COLUMNS = {"revenue_minor", "orders", "units"}
RACE_RETRIES = 5


async def committed_events(engine: AsyncEngine) -> list[ReceivedEvent]:
    """Every event in the outbox, as the stream carries it, in commit order."""
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(outbox).order_by(outbox.c.id))
        return [ReceivedEvent(type=row.event_type, event_id=row.event_id,
                              occurred_at=row.occurred_at, data=json.loads(row.payload))
                for row in rows]


def analytics_consumers(runtime: ShopRuntime) -> list[EventConsumer]:
    """The analytics projections of the runtime's table of consumers."""
    return [consumer for consumer in runtime.container.consumers()
            if consumer.name.startswith("analytics-")]


async def deliver(runtime: ShopRuntime, events: list[ReceivedEvent]) -> None:
    """Hand events to the analytics consumers the way the consumer runtime does.

    The runtime may be delivering the same events at the same moment (the
    embedded one runs in-process): the loser of a race on the processed-events
    record fails and, like any redelivery, is tried again and then skipped.
    """
    for event in events:
        for consumer in analytics_consumers(runtime):
            if event.type in consumer.event_types:
                await _handle_once(consumer, event)


async def _handle_once(consumer: EventConsumer, event: ReceivedEvent) -> None:
    for attempt in range(RACE_RETRIES):
        try:
            await consumer.handle(event)
            return
        except (IntegrityError, OperationalError):
            if attempt == RACE_RETRIES - 1:
                raise
            await asyncio.sleep(0.05)


async def deliver_outbox(runtime: ShopRuntime) -> None:
    await deliver(runtime, await committed_events(runtime.engine))


async def projection_rows(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, sorted; daily rows that add up to nothing are left out
    (a cancelled order may leave a row of zeros behind, a rebuild writes none)."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in PROJECTION_TABLES:
            if table is analytics_product_stock:
                continue
            amounts = [c.name for c in table.columns if c.name in AMOUNT_COLUMNS]
            rows = [tuple(row) for row in await conn.execute(sa.select(table))
                    if not amounts or any(row._mapping[name] for name in amounts)]
            snapshot[table.name] = sorted(rows, key=repr)
        stock = analytics_product_stock.c
        snapshot[analytics_product_stock.name] = sorted(
            (tuple(row) for row in await conn.execute(
                sa.select(stock.product_id, stock.name, stock.deleted, stock.stock))),
            key=repr)
    return snapshot
