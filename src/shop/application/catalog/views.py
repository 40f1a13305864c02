"""What the catalog's queries answer: plain immutable data, made from aggregates by `View.of`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shop.application.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageOf
from shop.domain.catalog.category import Category
from shop.domain.catalog.product import Product
from shop.domain.inventory.stock import Stock

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CategoryNode",
    "CategoryView",
    "Page",
    "PageOf",
    "ProductFilter",
    "ProductView",
]

@dataclass(frozen=True)
class ProductView:
    id: uuid.UUID
    name: str
    description: str
    price: Decimal
    currency: str
    category_id: uuid.UUID
    stock: int
    sku: str | None
    created_at: datetime
    updated_at: datetime
    product_version: int
    stock_version: int

    @classmethod
    def of(cls, product: Product, stock: Stock) -> ProductView:
        """A product with its stock; it changed when either of them last did."""
        return cls(
            id=product.id,
            name=product.name,
            description=product.description,
            price=product.price.amount,
            currency=product.price.currency,
            category_id=product.category_id,
            stock=stock.on_hand,
            sku=product.sku,
            created_at=product.created_at,
            updated_at=max(product.updated_at, stock.updated_at),
            product_version=product.version,
            stock_version=stock.version,
        )


@dataclass(frozen=True)
class ProductFilter:
    """`category_ids`: the category and its descendants, already expanded by the handler."""

    category_ids: frozenset[uuid.UUID] | None = None
    name_contains: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True)
class CategoryView:
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, category: Category) -> CategoryView:
        return cls(id=category.id, name=category.name, parent_id=category.parent_id,
                   created_at=category.created_at)


@dataclass(frozen=True)
class CategoryNode:
    id: uuid.UUID
    name: str
    children: list[CategoryNode] = field(default_factory=list)
