"""`SuggestCategories`: where a new product belongs, from what the catalogue already holds.

Each category gets a profile: the embedding of its path ("Home > Furniture >
Sofas") plus the mean embedding of the products already in it, both unit
length and weighted equally, so an empty category is still found by its name
and a well-stocked one by what it really sells. The new product's name and
description are embedded and the categories ranked by cosine similarity.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence

from shop.application.ai.ports import Embedder, ProductViews, Vector, VectorIndex
from shop.application.ai.queries import SuggestCategories
from shop.application.ai.views import CategorySuggestion
from shop.application.catalog.ports import CatalogReadModel
from shop.application.catalog.views import CategoryView


def category_paths(categories: Sequence[CategoryView]) -> dict[uuid.UUID, str]:
    """"Root > ... > Category" for each category (a cycle, impossible by the domain, stops)."""
    by_id = {category.id: category for category in categories}
    paths: dict[uuid.UUID, str] = {}
    for category in categories:
        names: list[str] = []
        current: CategoryView | None = category
        while current is not None and len(names) <= len(by_id):
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        paths[category.id] = " > ".join(reversed(names))
    return paths


def unit_sum(vectors: Sequence[Vector]) -> Vector:
    summed = [math.fsum(column) for column in zip(*vectors, strict=True)]
    norm = math.sqrt(math.fsum(x * x for x in summed)) or 1.0
    return tuple(x / norm for x in summed)


def dot(a: Vector, b: Vector) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


class SuggestCategoriesHandler:
    def __init__(self, embedder: Embedder, vectors: VectorIndex, views: ProductViews,
                 catalog: CatalogReadModel) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self._views = views
        self._catalog = catalog
        self._path_vectors: dict[str, Vector] = {}
        """Paths rarely change: each distinct path text is embedded once per process."""

    async def __call__(self, query: SuggestCategories) -> list[CategorySuggestion]:
        categories = list(await self._catalog.all_categories())
        if not categories:
            return []
        paths = category_paths(categories)
        await self._embed_new_paths(paths.values())
        members = await self._views.ids_by_category()
        text = ". ".join(part for part in (query.name, query.description) if part)
        [product] = await self._embedder.embed([text])
        suggestions = []
        for category in categories:
            profile = [self._path_vectors[paths[category.id]]]
            stocked = self._vectors.mean_of(members.get(category.id, ()))
            if stocked is not None:
                profile.append(stocked)
            suggestions.append(CategorySuggestion(category, dot(product, unit_sum(profile))))
        suggestions.sort(key=lambda s: (-s.score, s.category.name, str(s.category.id)))
        return suggestions[: query.limit]

    async def _embed_new_paths(self, paths: Iterable[str]) -> None:
        missing = sorted({path for path in paths if path not in self._path_vectors})
        if missing:
            for path, vector in zip(missing, await self._embedder.embed(missing), strict=True):
                self._path_vectors[path] = vector
