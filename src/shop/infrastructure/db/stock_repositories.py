"""The stock repository over SQLAlchemy Core: every change is one conditional update.

`stock_delta_statement` is the statement that keeps stock from going negative
(or past its maximum) under any concurrency, on every backend, without a lock
held over a network call.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.domain.inventory.stock import MAX_STOCK, Stock
from shop.infrastructure.db.base_repository import SqlRepository
from shop.infrastructure.db.schema import stock
from shop.infrastructure.db.types import UTCDateTime


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

    async def apply_deltas(
        self, deltas: Mapping[uuid.UUID, int], now: datetime
    ) -> list[Stock] | None:
        """Every delta in one statement, or none; the Stocks in product-id order.

        On PostgreSQL and SQLite this is one `UPDATE ... FROM (VALUES ...)
        RETURNING` (`reserve_statement`): the row locks are taken by that one
        statement, in product-id order, and held only until the commit. Other
        backends move the rows one by one, in product-id order, and a refusal
        leaves the earlier ones moved: the caller rolls back (it raises).
        """
        ordered = sorted(deltas)
        if self._conn.dialect.name not in _BATCHED_DIALECTS:
            moved = []
            for product_id in ordered:
                level = await self.apply_delta(product_id, deltas[product_id], now)
                if level is None:
                    return None
                moved.append(level)
            return moved
        params: dict[str, Any] = {"now": now, "n": len(ordered)}
        for i, product_id in enumerate(ordered):
            params[f"p{i}"] = product_id
            params[f"d{i}"] = deltas[product_id]
        rows = (await self._conn.execute(
            reserve_statement(self._conn.dialect.name, len(ordered)), params)).all()
        if len(rows) != len(ordered):  # all or nothing: the statement moved no row
            return None
        by_id = {row.product_id: row for row in rows}
        return [self._tracked(stock_from_row(product_id, by_id[product_id]))
                for product_id in ordered]

    def _tracked(self, level: Stock) -> Stock:
        """The unit of work collects the change this stock records (`record_change`)."""
        self._track(level)
        return level


_BATCHED_DIALECTS = frozenset({"postgresql", "sqlite"})


@lru_cache(maxsize=256)
def reserve_statement(dialect: str, lines: int) -> sa.TextualSelect:
    """Move `lines` stock rows by their deltas in one statement, all of them or none.

    Parameters `p0..`, `d0..` (product ids in ascending order and their deltas),
    `now`, and `n` (= lines). The rows are moved only if every one of them exists
    and stays within 0..MAX_STOCK: the count in the WHERE is over all the lines,
    so a single refusal moves nothing. Built once per dialect and line count.

    PostgreSQL: the `locked` CTE takes the row locks first, in product-id order
    (`ORDER BY ... FOR UPDATE`, materialized so it runs as written), so two
    orders sharing products cannot deadlock; it reads each row's newest
    committed level after any wait, and the update writes the levels computed
    from it. The locks are held from this statement to the commit, nothing
    else. SQLite: writers hold the database lock (BEGIN IMMEDIATE), so the
    plain statement is already exact.
    """
    if dialect == "postgresql":
        wanted = ", ".join(f"(CAST(:p{i} AS UUID), CAST(:d{i} AS INTEGER))"
                           for i in range(lines))
        sql = (
            f"WITH wanted (product_id, delta) AS (VALUES {wanted}), "
            "locked AS MATERIALIZED ("
            " SELECT s.product_id, s.on_hand + w.delta AS on_hand FROM stock AS s"
            " JOIN wanted AS w ON w.product_id = s.product_id"
            " ORDER BY s.product_id FOR UPDATE OF s) "
            "UPDATE stock SET on_hand = locked.on_hand, version = stock.version + 1,"
            " updated_at = :now "
            "FROM locked WHERE stock.product_id = locked.product_id"
            " AND (SELECT count(*) FROM locked"
            f"      WHERE locked.on_hand BETWEEN 0 AND {MAX_STOCK}) = :n "
            "RETURNING stock.product_id, stock.on_hand, stock.version, stock.updated_at"
        )
    else:
        wanted = ", ".join(f"(:p{i}, :d{i})" for i in range(lines))
        sql = (
            f"WITH wanted (product_id, delta) AS (VALUES {wanted}) "
            "UPDATE stock SET on_hand = stock.on_hand + wanted.delta,"
            " version = stock.version + 1, updated_at = :now "
            "FROM wanted WHERE stock.product_id = wanted.product_id"
            " AND (SELECT count(*) FROM stock AS s JOIN wanted AS w"
            "      ON w.product_id = s.product_id"
            f"      WHERE s.on_hand + w.delta BETWEEN 0 AND {MAX_STOCK}) = :n "
            "RETURNING stock.product_id, stock.on_hand, stock.version, stock.updated_at"
        )
    return (
        sa.text(sql)
        .bindparams(
            *(sa.bindparam(f"p{i}", type_=sa.Uuid()) for i in range(lines)),
            *(sa.bindparam(f"d{i}", type_=sa.Integer()) for i in range(lines)),
            sa.bindparam("now", type_=UTCDateTime()),
            sa.bindparam("n", type_=sa.Integer()),
        )
        .columns(product_id=sa.Uuid(), on_hand=sa.Integer(), version=sa.Integer(),
                 updated_at=UTCDateTime())
    )


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
