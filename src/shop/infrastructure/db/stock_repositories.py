"""The stock repository over SQLAlchemy Core: every change is one conditional update.

`stock_delta_statement` is the statement that keeps stock from going negative
(or past its maximum) under any concurrency, on every backend, without a lock
held over a network call.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.domain.inventory.stock import MAX_STOCK, Stock
from shop.infrastructure.db.base_repository import SqlRepository
from shop.infrastructure.db.schema import stock


def stock_delta_statement(product_id: uuid.UUID, delta: int, now: datetime) -> sa.Update:
    """The one statement that moves stock: applied only if the result stays in 0..MAX_STOCK.

    Checked by its returned row: no row means the product has no stock record or
    not enough units. One statement, so it is atomic on every backend and safe
    across processes without holding a lock over a network call.
    """
    return (
        sa.update(stock)
        .where(stock.c.product_id == product_id, stock.c.on_hand + delta >= 0,
               stock.c.on_hand + delta <= MAX_STOCK)
        .values(on_hand=stock.c.on_hand + delta, version=stock.c.version + 1, updated_at=now)
        .returning(stock.c.on_hand, stock.c.version, stock.c.updated_at)
    )


def stock_set_statement(product_id: uuid.UUID, on_hand: int, now: datetime) -> sa.Update:
    """Set stock outright; returns the new state so the delta is known exactly."""
    return (
        sa.update(stock)
        .where(stock.c.product_id == product_id)
        .values(on_hand=on_hand, version=stock.c.version + 1, updated_at=now)
        .returning(stock.c.on_hand, stock.c.version, stock.c.updated_at)
    )


class SqlStockRepository(SqlRepository):
    async def add(self, level: Stock) -> None:
        await self._conn.execute(
            sa.insert(stock).values(
                product_id=level.product_id,
                on_hand=level.on_hand,
                version=level.version,
                updated_at=level.updated_at,
            )
        )
        self._track(level)

    async def get(self, product_id: uuid.UUID) -> Stock | None:
        row = (
            await self._conn.execute(sa.select(stock).where(stock.c.product_id == product_id))
        ).first()
        return None if row is None else stock_from_row(product_id, row)

    async def apply_delta(self, product_id: uuid.UUID, delta: int, now: datetime) -> Stock | None:
        row = (await self._conn.execute(stock_delta_statement(product_id, delta, now))).first()
        return None if row is None else self._tracked(stock_from_row(product_id, row))

    async def set_level(
        self, product_id: uuid.UUID, on_hand: int, now: datetime
    ) -> tuple[Stock, int] | None:
        before = await self._conn.execute(
            _lock_for_update(sa.select(stock.c.on_hand).where(stock.c.product_id == product_id),
                             self._conn)
        )
        previous = before.scalar_one_or_none()
        if previous is None:
            return None
        row = (await self._conn.execute(stock_set_statement(product_id, on_hand, now))).first()
        if row is None:
            return None
        return self._tracked(stock_from_row(product_id, row)), row.on_hand - previous

    def _tracked(self, level: Stock) -> Stock:
        """The unit of work collects the change this stock records (`record_change`)."""
        self._track(level)
        return level


def _lock_for_update(select: sa.Select[Any], conn: AsyncConnection) -> sa.Select[Any]:
    """Row lock where the backend has one; SQLite writers already hold the database lock."""
    if conn.dialect.name == "postgresql":
        return select.with_for_update()
    if conn.dialect.name == "mssql":
        return select.with_hint(stock, "WITH (UPDLOCK, ROWLOCK)", "mssql")
    return select


def stock_from_row(product_id: uuid.UUID, row: Any) -> Stock:
    return Stock(product_id=product_id, on_hand=row.on_hand, version=row.version,
                 updated_at=row.updated_at)
