"""Ports of the catalog context: its repositories, its read model and the product cache."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Protocol

from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.domain.catalog.category import Category
from shop.domain.catalog.product import Product


class CategoryRepository(Protocol):
    async def add(self, category: Category) -> None: ...
    async def get(self, category_id: uuid.UUID) -> Category | None: ...
    async def save(self, category: Category) -> None: ...
    async def remove(self, category: Category) -> None: ...
    async def lineage(self, category_id: uuid.UUID) -> list[uuid.UUID]:
        """The category's id followed by the ids of all its ancestors, up to a root."""
        ...
    async def has_children(self, category_id: uuid.UUID) -> bool: ...
    async def has_products(self, category_id: uuid.UUID) -> bool: ...


class ProductRepository(Protocol):
    async def add(self, product: Product) -> None: ...
    async def get(self, product_id: uuid.UUID) -> Product | None:
        """The product if it is in the catalog (deleted products are not)."""
        ...
    async def get_many(self, product_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Product]:
        """The products of these ids that are in the catalog, in one read, by id."""
        ...
    async def save(self, product: Product) -> None:
        """Persist changes; raises ConcurrentModification if someone saved a newer version first."""
        ...
    async def remove(self, product: Product) -> None: ...
    async def sku_taken(self, sku: str, *, other_than: uuid.UUID | None = None) -> bool: ...


class ProductCache(Protocol):
    """Cache-aside store of product views.

    Entries are versioned: a put never replaces a newer view, and an
    invalidation leaves a marker so a slow reader cannot put back an older one.
    """

    async def get(self, product_id: uuid.UUID) -> ProductView | None: ...
    async def put(self, view: ProductView) -> None: ...
    async def invalidate(
        self,
        product_id: uuid.UUID,
        *,
        product_version: int = 0,
        stock_version: int = 0,
    ) -> None: ...
    async def invalidate_listings(self) -> None:
        """Lists of products or categories changed (a product created, a category changed):
        cached list pages, if the cache keeps any, are dropped."""
        ...


class CatalogReadModel(Protocol):
    """Read side of the catalog: answers queries straight from storage."""

    async def product(self, product_id: uuid.UUID) -> ProductView | None: ...
    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]: ...
    async def category(self, category_id: uuid.UUID) -> CategoryView | None: ...
    async def categories(self, page: Page) -> PageOf[CategoryView]: ...
    async def all_categories(self) -> Sequence[CategoryView]: ...
