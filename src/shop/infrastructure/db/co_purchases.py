"""The `CoPurchaseStore` in SQL: counts moved by +-1 in the same transaction as the event id.

Counts change by relative UPDATEs (`orders = orders + 1`) so concurrent
consumers of different orders never lose an increment; a missing row is
inserted, and a race on that insert fails the transaction, which the runtime
redelivers (then the row exists).
"""

from __future__ import annotations

import itertools
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.application.ai.purchases import CONSUMER_NAME, Basket, PairCount
from shop.application.ports import Clock
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.processed_events import claim_event
from shop.infrastructure.db.schema import (
    co_purchases,
    product_purchases,
    purchased_lines,
    purchased_orders,
)


async def _bump(conn: AsyncConnection, table: sa.Table, key: dict[str, uuid.UUID],
                delta: int) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    result = await conn.execute(sa.update(table).where(*where)
                                .values(orders=table.c.orders + delta))
    if result.rowcount == 0 and delta > 0:
        await conn.execute(sa.insert(table).values(**key, orders=delta))


async def _count(conn: AsyncConnection, products: list[uuid.UUID], delta: int) -> None:
    for product_id in products:
        await _bump(conn, product_purchases, {"product_id": product_id}, delta)
    for first, second in itertools.permutations(products, 2):
        await _bump(conn, co_purchases, {"product_id": first, "other_id": second}, delta)


class SqlCoPurchaseStore:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def add_basket(self, event_id: uuid.UUID, basket: Basket) -> None:
        async with write_transaction(self._engine) as conn:
            if not await claim_event(conn, CONSUMER_NAME, event_id, self._clock.now()):
                return
            counted = await conn.scalar(sa.select(sa.literal(1)).where(
                purchased_orders.c.order_id == basket.order_id))
            if counted is not None:  # another event about the same payment already counted it
                return
            await conn.execute(sa.insert(purchased_orders).values(
                order_id=basket.order_id, customer_id=basket.customer_id,
                paid_at=basket.paid_at))
            if basket.quantities:
                await conn.execute(sa.insert(purchased_lines), [
                    {"order_id": basket.order_id, "product_id": product_id,
                     "customer_id": basket.customer_id, "quantity": quantity,
                     "paid_at": basket.paid_at}
                    for product_id, quantity in sorted(basket.quantities.items())])
            await _count(conn, sorted(basket.quantities), +1)

    async def remove_basket(self, event_id: uuid.UUID, order_id: uuid.UUID) -> None:
        async with write_transaction(self._engine) as conn:
            if not await claim_event(conn, CONSUMER_NAME, event_id, self._clock.now()):
                return
            rows = (await conn.execute(sa.select(purchased_lines.c.product_id).where(
                purchased_lines.c.order_id == order_id))).all()
            deleted = await conn.execute(sa.delete(purchased_orders).where(
                purchased_orders.c.order_id == order_id))
            if deleted.rowcount == 0:  # never paid (or already uncounted): nothing to correct
                return
            await conn.execute(sa.delete(purchased_lines).where(
                purchased_lines.c.order_id == order_id))
            await _count(conn, sorted(row.product_id for row in rows), -1)

    async def pairs_with(self, product_ids: list[uuid.UUID]) -> list[PairCount]:
        if not product_ids:
            return []
        query = sa.select(co_purchases).where(co_purchases.c.product_id.in_(product_ids),
                                              co_purchases.c.orders > 0)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [PairCount(row.product_id, row.other_id, row.orders) for row in rows]

    async def orders_holding(self, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not product_ids:
            return {}
        query = sa.select(product_purchases).where(
            product_purchases.c.product_id.in_(product_ids))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.product_id: row.orders for row in rows}

    async def total_orders(self) -> int:
        async with self._engine.connect() as conn:
            total: int = (await conn.execute(
                sa.select(sa.func.count()).select_from(purchased_orders))).scalar_one()
        return total

    async def bought_by(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        latest = sa.func.max(purchased_lines.c.paid_at)
        query = (sa.select(purchased_lines.c.product_id, latest.label("latest"))
                 .where(purchased_lines.c.customer_id == customer_id)
                 .group_by(purchased_lines.c.product_id)
                 .order_by(latest.desc(), purchased_lines.c.product_id))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [row.product_id for row in rows]
