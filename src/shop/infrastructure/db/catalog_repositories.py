"""Repositories of the catalog's aggregates (categories, products) over SQLAlchemy Core.

Rows are mapped to domain objects by hand (`category_from_row`,
`product_from_row`, which the read model uses too): the domain stays free of
the ORM, and every statement is visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import DuplicateSku
from shop.domain.catalog.names import search_key
from shop.domain.catalog.product import Product
from shop.domain.shared.money import Money
from shop.infrastructure.db.base_repository import SqlRepository
from shop.infrastructure.db.schema import categories, products

_live_product = products.c.deleted_at.is_(None)
_SELECT_LIVE_PRODUCTS = sa.select(products).where(
    products.c.id.in_(sa.bindparam("ids", expanding=True)), _live_product)
"""Built once (an order reads its products with it): its compiled form is found by identity."""


def category_from_row(row: Any) -> Category:
    return Category(id=row.id, name=row.name, parent_id=row.parent_id,
                    created_at=row.created_at, updated_at=row.updated_at)


def product_from_row(row: Any) -> Product:
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


class SqlCategoryRepository(SqlRepository):
    async def add(self, category: Category) -> None:
        await self._conn.execute(sa.insert(categories).values(**_category_row(category)))
        self._track(category)

    async def get(self, category_id: uuid.UUID) -> Category | None:
        row = (
            await self._conn.execute(sa.select(categories).where(categories.c.id == category_id))
        ).first()
        return None if row is None else category_from_row(row)

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


class SqlProductRepository(SqlRepository):
    async def add(self, product: Product) -> None:
        with _refusing_duplicate_sku(product):
            await self._conn.execute(sa.insert(products).values(**_product_row(product)))
        self._loaded(product.id, product.version)
        self._track(product)

    async def get(self, product_id: uuid.UUID) -> Product | None:
        row = (
            await self._conn.execute(
                sa.select(products).where(products.c.id == product_id, _live_product)
            )
        ).first()
        if row is None:
            return None
        self._loaded(row.id, row.version)
        return product_from_row(row)

    async def get_many(self, product_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Product]:
        """One SELECT for all of them (an order's lines); no row lock is taken."""
        rows = await self._conn.execute(_SELECT_LIVE_PRODUCTS, {"ids": list(product_ids)})
        found = {}
        for row in rows:
            self._loaded(row.id, row.version)
            found[row.id] = product_from_row(row)
        return found

    async def save(self, product: Product) -> None:
        values = _product_row(product)
        del values["id"], values["created_at"]
        with _refusing_duplicate_sku(product):
            await self._update_versioned(products, product, values, "product")
        self._track(product)

    async def remove(self, product: Product) -> None:
        await self._update_versioned(
            products, product,
            {"version": product.version, "updated_at": product.updated_at,
             "deleted_at": product.updated_at},
            "product",
        )
        self._track(product)

    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool:
        query = sa.select(products.c.id).where(products.c.sku == sku, _live_product)
        if other_than is not None:
            query = query.where(products.c.id != other_than)
        return (await self._conn.execute(query.limit(1))).first() is not None



@contextmanager
def _refusing_duplicate_sku(product: Product) -> Iterator[None]:
    """A clash on the unique sku index is the domain's DuplicateSku."""
    try:
        yield
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
