"""Catalog queries: each names what it returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from shop.application.catalog.views import (
    CategoryNode,
    CategoryView,
    ProductView,
)
from shop.application.messages import Query
from shop.application.paging import PageQuery


@dataclass(frozen=True, kw_only=True)
class GetProductById(Query[ProductView]):
    """Cache-aside: answered from the product cache while it holds the current version."""

    product_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListProducts(PageQuery[ProductView]):
    """Newest first; `category_id` takes in its descendants, `q` a case-blind name match."""

    category_id: uuid.UUID | None = None
    q: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class GetCategoryById(Query[CategoryView]):
    category_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListCategories(PageQuery[CategoryView]):
    """Flat, by name; `GetCategoryTree` answers the nesting."""


@dataclass(frozen=True, kw_only=True)
class GetCategoryTree(Query[list[CategoryNode]]):
    pass
