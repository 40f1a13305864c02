"""The customers context's read side."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.customers.views import CustomerView
from shop.application.paging import Page, PageOf
from shop.infrastructure.db.customer_repositories import customer_from_row
from shop.infrastructure.db.schema import customers


class SqlCustomerReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def customer(self, customer_id: uuid.UUID) -> CustomerView | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(customers).where(customers.c.id == customer_id))).first()
        return None if row is None else CustomerView.of(customer_from_row(row))

    async def customers(self, page: Page) -> PageOf[CustomerView]:
        async with self._engine.connect() as conn:
            total = (await conn.execute(
                sa.select(sa.func.count()).select_from(customers))).scalar_one()
            rows = (await conn.execute(
                sa.select(customers)
                .order_by(customers.c.created_at.desc(), customers.c.id)
                .limit(page.limit).offset(page.offset)
            )).all()
        return PageOf(items=[CustomerView.of(customer_from_row(r)) for r in rows], total=total,
                      limit=page.limit, offset=page.offset)
