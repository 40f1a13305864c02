"""Who notifications go to: a customer's address and name, and every admin's.

The notifications context reads the customers' contact details here, behind
its own `Recipients` port, instead of depending on the customers context's
read model shape.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.notifications.ports import Recipient
from shop.infrastructure.db.schema import customers

ADMIN_ROLE = "admin"


class SqlRecipients:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def customer(self, customer_id: uuid.UUID) -> Recipient | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(customers.c.id, customers.c.email, customers.c.full_name)
                .where(customers.c.id == customer_id))).first()
        return None if row is None else Recipient(email=row.email, name=row.full_name,
                                                  customer_id=row.id)

    async def admins(self) -> list[Recipient]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(customers.c.id, customers.c.email, customers.c.full_name)
                .where(customers.c.role == ADMIN_ROLE, customers.c.disabled_at.is_(None))
                .order_by(customers.c.created_at))).all()
        return [Recipient(email=row.email, name=row.full_name, customer_id=row.id)
                for row in rows]
