"""One database transaction, its repositories, and the outbox rows of its events."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from shop.domain.shared.events import DomainEvent, EventRecorder
from shop.infrastructure.db.base_repository import pull_events_of
from shop.infrastructure.db.catalog_repositories import SqlCategoryRepository, SqlProductRepository
from shop.infrastructure.db.customer_repositories import (
    SqlCustomerRepository,
    SqlPasswordResetTokenRepository,
    SqlRefreshTokenRepository,
)
from shop.infrastructure.db.engine import connect_for_writing
from shop.infrastructure.db.order_repositories import SqlIdempotencyRepository, SqlOrderRepository
from shop.infrastructure.db.outbox import append_to_outbox
from shop.infrastructure.db.stock_repositories import SqlStockRepository


class SqlUnitOfWork:
    categories: SqlCategoryRepository
    products: SqlProductRepository
    stock: SqlStockRepository
    customers: SqlCustomerRepository
    refresh_tokens: SqlRefreshTokenRepository
    password_resets: SqlPasswordResetTokenRepository
    orders: SqlOrderRepository
    idempotency: SqlIdempotencyRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._seen: list[EventRecorder] = []
        self._committed: list[DomainEvent] = []

    async def __aenter__(self) -> Self:
        conn = await connect_for_writing(self._engine)
        self._conn = conn
        self._tx = await conn.begin()
        self.categories = SqlCategoryRepository(conn, self._seen)
        self.products = SqlProductRepository(conn, self._seen)
        self.stock = SqlStockRepository(conn, self._seen)
        self.customers = SqlCustomerRepository(conn, self._seen)
        self.refresh_tokens = SqlRefreshTokenRepository(conn)
        self.password_resets = SqlPasswordResetTokenRepository(conn)
        self.orders = SqlOrderRepository(conn, self._seen)
        self.idempotency = SqlIdempotencyRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            if self._conn is not None:
                await self._conn.close()
            self._conn = self._tx = None

    async def commit(self) -> None:
        if self._conn is None or self._tx is None:
            raise RuntimeError("commit outside of `async with unit_of_work`")
        events = pull_events_of(self._seen)
        events.sort(key=lambda e: e.occurred_at)
        await append_to_outbox(self._conn, events)
        await self._tx.commit()
        self._committed.extend(events)
        self._seen.clear()

    async def rollback(self) -> None:
        """Undo the transaction and forget its events, so a later commit cannot publish them.

        The saga reuses one unit of work for several transactions: without this,
        the events of a failed block would reach the outbox with the next commit.
        The aggregates it loaded drop their pending events too (they describe
        changes that were never stored).
        """
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            pull_events_of(self._seen)
            self._seen.clear()

    def committed_events(self) -> list[DomainEvent]:
        return list(self._committed)


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
