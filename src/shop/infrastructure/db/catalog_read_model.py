"""The catalog's read side: SQL straight into views, without a unit of work.

Rows are mapped as the repositories map them and turned into views by
`View.of`, so the read side and the write side answer the same shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.ports import SearchFilter, StockLevel
from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.domain.catalog.names import search_key
from shop.domain.inventory.stock import Stock
from shop.domain.shared.money import Money
from shop.infrastructure.db.catalog_repositories import category_from_row, product_from_row
from shop.infrastructure.db.schema import categories, products, stock

_product_columns = (
    products.c.id,
    products.c.name,
    products.c.description,
    products.c.price_minor,
    products.c.currency,
    products.c.category_id,
    products.c.sku,
    products.c.created_at,
    products.c.updated_at,
    products.c.version,
    stock.c.on_hand,
    stock.c.version.label("stock_version"),
    stock.c.updated_at.label("stock_updated_at"),
)
_product_source = products.join(stock, stock.c.product_id == products.c.id)


def _minor(amount: Decimal) -> int:
    return Money.of(amount).minor_units


def _product_view(row: Any) -> ProductView:
    """The product and stock columns of one joined row, mapped as the repositories map them."""
    stock = Stock(product_id=row.id, on_hand=row.on_hand, version=row.stock_version,
                  updated_at=row.stock_updated_at)
    return ProductView.of(product_from_row(row), stock)


def live_product_conditions(criteria: ProductFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE of a product listing or search: live products passing the filter."""
    conditions: list[sa.ColumnElement[bool]] = [products.c.deleted_at.is_(None)]
    if criteria.category_ids is not None:
        conditions.append(products.c.category_id.in_(sorted(criteria.category_ids)))
    if criteria.name_contains:
        conditions.append(
            products.c.name_key.contains(search_key(criteria.name_contains), autoescape=True)
        )
    if criteria.min_price is not None:
        conditions.append(products.c.price_minor >= _minor(criteria.min_price))
    if criteria.max_price is not None:
        conditions.append(products.c.price_minor <= _minor(criteria.max_price))
    return conditions


def _category_view(row: Any) -> CategoryView:
    return CategoryView(id=row.id, name=row.name, parent_id=row.parent_id,
                        created_at=row.created_at)


class SqlCatalogReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        query = (
            sa.select(*_product_columns)
            .select_from(_product_source)
            .where(products.c.id == product_id, products.c.deleted_at.is_(None))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _product_view(row)

    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]:
        conditions = live_product_conditions(criteria)
        items_query = (
            sa.select(*_product_columns)
            .select_from(_product_source)
            .where(*conditions)
            .order_by(products.c.created_at.desc(), products.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        count_query = sa.select(sa.func.count()).select_from(products).where(*conditions)
        async with self._engine.connect() as conn:
            total = (await conn.execute(count_query)).scalar_one()
            rows = (await conn.execute(items_query)).all()
        return PageOf(items=[_product_view(r) for r in rows], total=total,
                      limit=page.limit, offset=page.offset)


    async def views(self, product_ids: Iterable[uuid.UUID]) -> Mapping[uuid.UUID, ProductView]:
        """Live products among these ids (the `ProductViews` port of search and recommendations)."""
        wanted = sorted(set(product_ids))
        if not wanted:
            return {}
        query = (
            sa.select(*_product_columns)
            .select_from(_product_source)
            .where(products.c.id.in_(wanted), products.c.deleted_at.is_(None))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.id: _product_view(row) for row in rows}

    async def ids_matching(self, criteria: SearchFilter) -> frozenset[uuid.UUID]:
        conditions = live_product_conditions(criteria.as_product_filter())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(products.c.id).where(*conditions))).all()
        return frozenset(row.id for row in rows)

    async def stock_levels(self) -> Sequence[StockLevel]:
        query = (sa.select(products.c.id, products.c.name, stock.c.on_hand)
                 .select_from(_product_source).where(products.c.deleted_at.is_(None)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [StockLevel(product_id=row.id, name=row.name, stock=row.on_hand) for row in rows]

    async def ids_by_category(self) -> Mapping[uuid.UUID, list[uuid.UUID]]:
        query = sa.select(products.c.id, products.c.category_id).where(
            products.c.deleted_at.is_(None), products.c.category_id.is_not(None))
        members: dict[uuid.UUID, list[uuid.UUID]] = {}
        async with self._engine.connect() as conn:
            for row in (await conn.execute(query)).all():
                members.setdefault(row.category_id, []).append(row.id)
        return members

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(categories).where(categories.c.id == category_id))
            ).first()
        return None if row is None else CategoryView.of(category_from_row(row))

    async def categories(self, page: Page) -> PageOf[CategoryView]:
        async with self._engine.connect() as conn:
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(categories))
            ).scalar_one()
            rows = (
                await conn.execute(
                    sa.select(categories)
                    .order_by(categories.c.name, categories.c.id)
                    .limit(page.limit)
                    .offset(page.offset)
                )
            ).all()
        return PageOf(items=[CategoryView.of(category_from_row(r)) for r in rows], total=total,
                      limit=page.limit, offset=page.offset)

    async def all_categories(self) -> Sequence[CategoryView]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(categories))).all()
        return [CategoryView.of(category_from_row(r)) for r in rows]
