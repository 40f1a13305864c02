"""Catalog queries: each names what it returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from shop.application.catalog.views import (
    CategoryNode,
    CategoryView,
    Page,
    PageOf,
    ProductView,
)
from shop.application.messages import Query


@dataclass(frozen=True, kw_only=True)
class GetProductById(Query[ProductView]):
    product_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListProducts(Query[PageOf[ProductView]]):
    page: Page = field(default_factory=Page)
    category_id: uuid.UUID | None = None
    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class GetCategoryById(Query[CategoryView]):
    category_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListCategories(Query[PageOf[CategoryView]]):
    page: Page = field(default_factory=Page)


@dataclass(frozen=True, kw_only=True)
class GetCategoryTree(Query[list[CategoryNode]]):
    pass
