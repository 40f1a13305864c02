"""Read models: what the catalog's queries answer. Plain immutable data, no behaviour."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shop.application.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageOf

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


@dataclass(frozen=True)
class CategoryNode:
    id: uuid.UUID
    name: str
    children: list[CategoryNode] = field(default_factory=list)
