"""Repositories of the catalog and inventory aggregates over SQLAlchemy Core.

Rows are mapped to domain objects by hand: the domain stays free of the ORM,
and every statement is visible, including the conditional stock update that
keeps stock from going negative under any concurrency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import DuplicateSku
from shop.domain.catalog.names import search_key
from shop.domain.catalog.product import Product
from shop.domain.inventory.stock import MAX_STOCK, Stock
from shop.domain.shared.errors import ConcurrentModification
from shop.domain.shared.events import EventRecorder
from shop.domain.shared.money import Money
from shop.infrastructure.db.schema import categories, products, stock

_live_product = products.c.deleted_at.is_(None)


class _Repository:
    def __init__(self, conn: AsyncConnection, seen: list[EventRecorder]) -> None:
        self._conn = conn
        self._seen = seen

    def _track(self, aggregate: EventRecorder) -> None:
        self._seen.append(aggregate)


class SqlCategoryRepository(_Repository):
    async def add(self, category: Category) -> None:
        await self._conn.execute(sa.insert(categories).values(**_category_row(category)))
        self._track(category)

    async def get(self, category_id: uuid.UUID) -> Category | None:
        row = (
            await self._conn.execute(sa.select(categories).where(categories.c.id == category_id))
        ).first()
        if row is None:
            return None
        return Category(
            id=row.id,
            name=row.name,
            parent_id=row.parent_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def save(self, category: Category) -> None:
        row = _category_row(category)
        del row["id"], row["created_at"]
        await self._conn.execute(
            sa.update(categories).where(categories.c.id == category.id).values(**row)
        )
        self._track(category)

    async def remove(self, category: Category) -> None:
        # Deleted products keep their rows for history; let go of the category.
        await self._conn.execute(
            sa.update(products)
            .where(products.c.category_id == category.id, products.c.deleted_at.is_not(None))
            .values(category_id=None)
        )
        await self._conn.execute(sa.delete(categories).where(categories.c.id == category.id))
        self._track(category)

    async def lineage(self, category_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self._conn.execute(sa.select(categories.c.id, categories.c.parent_id))
        parent_of: dict[uuid.UUID, uuid.UUID | None] = {r.id: r.parent_id for r in rows}
        chain: list[uuid.UUID] = []
        current: uuid.UUID | None = category_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parent_of.get(current)
        return chain

    async def has_children(self, category_id: uuid.UUID) -> bool:
        return await self._exists(sa.select(categories.c.id).where(
            categories.c.parent_id == category_id))

    async def has_products(self, category_id: uuid.UUID) -> bool:
        return await self._exists(sa.select(products.c.id).where(
            products.c.category_id == category_id, _live_product))

    async def _exists(self, select: sa.Select[Any]) -> bool:
        return (await self._conn.execute(select.limit(1))).first() is not None


def _category_row(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "name": category.name,
        "parent_id": category.parent_id,
        "created_at": category.created_at,
        "updated_at": category.updated_at,
    }


class SqlProductRepository(_Repository):
    def __init__(self, conn: AsyncConnection, seen: list[EventRecorder]) -> None:
        super().__init__(conn, seen)
        self._loaded_versions: dict[uuid.UUID, int] = {}

    async def add(self, product: Product) -> None:
        await self._write(sa.insert(products).values(**_product_row(product)), product)
        self._track(product)

    async def get(self, product_id: uuid.UUID) -> Product | None:
        row = (
            await self._conn.execute(
                sa.select(products).where(products.c.id == product_id, _live_product)
            )
        ).first()
        if row is None:
            return None
        self._loaded_versions[row.id] = row.version
        return Product(
            id=row.id,
            name=row.name,
            description=row.description,
            price=Money.from_minor_units(row.price_minor, row.currency),
            category_id=row.category_id,
            sku=row.sku,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    async def save(self, product: Product) -> None:
        values = _product_row(product)
        del values["id"], values["created_at"]
        await self._update_if_unchanged(product, values)

    async def remove(self, product: Product) -> None:
        await self._update_if_unchanged(
            product,
            {"version": product.version, "updated_at": product.updated_at,
             "deleted_at": product.updated_at},
        )

    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool:
        query = sa.select(products.c.id).where(products.c.sku == sku, _live_product)
        if other_than is not None:
            query = query.where(products.c.id != other_than)
        return (await self._conn.execute(query.limit(1))).first() is not None

    async def _update_if_unchanged(self, product: Product, values: dict[str, Any]) -> None:
        """Optimistic concurrency: write only over the version this unit of work loaded."""
        loaded = self._loaded_versions.get(product.id, product.version)
        if loaded == product.version:
            return
        result = await self._write(
            sa.update(products)
            .where(products.c.id == product.id, products.c.version == loaded)
            .values(**values),
            product,
        )
        if result.rowcount != 1:
            raise ConcurrentModification(
                f"product {product.id} was changed by someone else; reload and retry"
            )
        self._loaded_versions[product.id] = product.version
        self._track(product)

    async def _write(self, statement: Any, product: Product) -> Any:
        try:
            return await self._conn.execute(statement)
        except IntegrityError as error:
            if product.sku is not None and "sku" in str(error.orig).lower():
                raise DuplicateSku(product.sku) from None
            raise


def _product_row(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "name_key": search_key(product.name),
        "description": product.description,
        "price_minor": product.price.minor_units,
        "currency": product.price.currency,
        "category_id": product.category_id,
        "sku": product.sku,
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


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


class SqlStockRepository(_Repository):
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
        return None if row is None else _stock(product_id, row)

    async def apply_delta(self, product_id: uuid.UUID, delta: int, now: datetime) -> Stock | None:
        row = (await self._conn.execute(stock_delta_statement(product_id, delta, now))).first()
        return None if row is None else self._tracked(_stock(product_id, row))

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
        return self._tracked(_stock(product_id, row)), row.on_hand - previous

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


def _stock(product_id: uuid.UUID, row: Any) -> Stock:
    return Stock(product_id=product_id, on_hand=row.on_hand, version=row.version,
                 updated_at=row.updated_at)


def pull_all_events(aggregates: Sequence[EventRecorder]) -> list[Any]:
    events = []
    for aggregate in aggregates:
        events.extend(aggregate.pull_events())
    return events
