"""Handlers of the catalog's queries: read models and the product cache, no aggregates."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from shop.application.catalog.ports import CatalogReadModel, ProductCache
from shop.application.catalog.queries import (
    GetCategoryById,
    GetCategoryTree,
    GetProductById,
    ListCategories,
    ListProducts,
)
from shop.application.catalog.views import (
    CategoryNode,
    CategoryView,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.domain.catalog.errors import CategoryNotFound, ProductNotFound


def descendants_of(root: uuid.UUID, categories: Iterable[CategoryView]) -> frozenset[uuid.UUID]:
    """The root and every category below it (iteratively, so depth is unbounded)."""
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for category in categories:
        if category.parent_id is not None:
            children[category.parent_id].append(category.id)
    found = {root}
    frontier = [root]
    while frontier:
        for child in children[frontier.pop()]:
            if child not in found:
                found.add(child)
                frontier.append(child)
    return frozenset(found)


def build_tree(categories: Sequence[CategoryView]) -> list[CategoryNode]:
    """Nest the flat list; siblings are sorted by name so the tree reads the same each time."""
    nodes = {c.id: CategoryNode(id=c.id, name=c.name) for c in categories}
    roots: list[CategoryNode] = []
    for category in sorted(categories, key=lambda c: (c.name.casefold(), str(c.id))):
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    return roots


class GetProductByIdHandler:
    def __init__(self, read_model: CatalogReadModel, cache: ProductCache) -> None:
        self._read = read_model
        self._cache = cache

    async def __call__(self, query: GetProductById) -> ProductView:
        cached = await self._cache.get(query.product_id)
        if cached is not None:
            return cached
        view = await self._read.product(query.product_id)
        if view is None:
            raise ProductNotFound(query.product_id)
        await self._cache.put(view)
        return view


class ListProductsHandler:
    def __init__(self, read_model: CatalogReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListProducts) -> PageOf[ProductView]:
        category_ids = None
        if query.category_id is not None:
            category_ids = descendants_of(query.category_id, await self._read.all_categories())
        criteria = ProductFilter(
            category_ids=category_ids,
            name_contains=query.q or None,
            min_price=query.min_price,
            max_price=query.max_price,
        )
        return await self._read.products(criteria, query.page)


class GetCategoryByIdHandler:
    def __init__(self, read_model: CatalogReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetCategoryById) -> CategoryView:
        view = await self._read.category(query.category_id)
        if view is None:
            raise CategoryNotFound(query.category_id)
        return view


class ListCategoriesHandler:
    def __init__(self, read_model: CatalogReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListCategories) -> PageOf[CategoryView]:
        return await self._read.categories(query.page)


class GetCategoryTreeHandler:
    def __init__(self, read_model: CatalogReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetCategoryTree) -> list[CategoryNode]:
        return build_tree(await self._read.all_categories())
