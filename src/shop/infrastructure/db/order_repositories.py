"""Repositories of the ordering context over SQLAlchemy Core."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.application.ordering.ports import IdempotencyRecord
from shop.domain.ordering.order import Order, OrderLine, OrderStatus, PaymentStatus
from shop.domain.shared.money import Money
from shop.infrastructure.db.address_columns import address_columns, address_from
from shop.infrastructure.db.base_repository import SqlRepository
from shop.infrastructure.db.schema import idempotency_keys, order_lines, orders


def order_from_rows(row: Any, lines: Sequence[Any]) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        lines=[OrderLine(product_id=line.product_id, product_name=line.product_name,
                         unit_price=Money.from_minor_units(line.unit_price_minor, row.currency),
                         quantity=line.quantity)
               for line in sorted(lines, key=lambda line: line.line_no)],
        status=OrderStatus(row.status),
        currency=row.currency,
        shipping_address=address_from(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
        payment_status=PaymentStatus(row.payment_status),
        payment_reference=row.payment_reference,
        version=row.version,
    )


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "status": order.status.value,
        "currency": order.currency,
        "total_minor": order.total.minor_units,
        **address_columns(order.shipping_address),
        "payment_status": order.payment_status.value,
        "payment_reference": order.payment_reference,
        "version": order.version,
        "updated_at": order.updated_at,
    }


_INSERT_ORDER = sa.insert(orders)
_INSERT_LINES = sa.insert(order_lines)
"""Built once: executed with plain parameters, their compiled form is reused (see
`base_repository._versioned_update`)."""


class SqlOrderRepository(SqlRepository):
    async def add(self, order: Order) -> None:
        await self._conn.execute(_INSERT_ORDER, {
            "id": order.id, "customer_id": order.customer_id, "created_at": order.created_at,
            **_order_values(order)})
        await self._conn.execute(_INSERT_LINES, [
            {"order_id": order.id, "line_no": number, "product_id": line.product_id,
             "product_name": line.product_name, "unit_price_minor": line.unit_price.minor_units,
             "quantity": line.quantity}
            for number, line in enumerate(order.lines, start=1)
        ])
        self._loaded(order.id, order.version)
        self._track(order)

    async def get(self, order_id: uuid.UUID) -> Order | None:
        row = (await self._conn.execute(sa.select(orders).where(orders.c.id == order_id))).first()
        if row is None:
            return None
        lines = (await self._conn.execute(
            sa.select(order_lines).where(order_lines.c.order_id == order_id))).all()
        self._loaded(order_id, row.version)
        return order_from_rows(row, lines)

    async def save(self, order: Order) -> None:
        await self._update_versioned(orders, order, _order_values(order), "order")
        self._track(order)

    def attach(self, order: Order) -> None:
        self._loaded(order.id, order.version)

    async def pending_since(self, before: datetime, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(
            sa.select(orders.c.id)
            .where(orders.c.status == OrderStatus.PENDING.value, orders.c.created_at < before)
            .order_by(orders.c.created_at)
            .limit(limit))
        return [row.id for row in rows]

    async def awaiting_refund(self, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(
            sa.select(orders.c.id)
            .where(orders.c.payment_status == PaymentStatus.REFUND_PENDING.value)
            .order_by(orders.c.updated_at)
            .limit(limit))
        return [row.id for row in rows]


class SqlIdempotencyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Insert under a savepoint; a duplicate key (even a concurrent one) yields the first."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(sa.insert(idempotency_keys).values(
                    customer_id=record.customer_id, key=record.key,
                    request_hash=record.request_hash, order_id=record.order_id,
                    created_at=record.created_at))
        except IntegrityError:
            return await self.find(record.customer_id, record.key)
        return None

    async def find(self, customer_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        row = (await self._conn.execute(sa.select(idempotency_keys).where(
            idempotency_keys.c.customer_id == customer_id, idempotency_keys.c.key == key
        ))).first()
        if row is None:
            return None
        return IdempotencyRecord(customer_id=row.customer_id, key=row.key,
                                 request_hash=row.request_hash, order_id=row.order_id,
                                 created_at=row.created_at)
