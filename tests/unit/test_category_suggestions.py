"""SuggestCategories: a new product is matched to the categories that hold its kind."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from shop.application.ai.category_suggestions import SuggestCategoriesHandler, category_paths
from shop.application.ai.queries import SuggestCategories
from shop.application.catalog.views import CategoryView
from tests.unit.ai_fakes import (
    T0,
    Catalogue,
    HashingEmbedder,
    InMemoryProductViews,
    InMemoryVectorIndex,
    hashed_vector,
)


class Categories:
    def __init__(self, categories: Sequence[CategoryView]) -> None:
        self._categories = list(categories)

    async def all_categories(self) -> Sequence[CategoryView]:
        return self._categories


def category(name: str, parent: CategoryView | None = None) -> CategoryView:
    return CategoryView(id=uuid.uuid4(), name=name, parent_id=parent.id if parent else None,
                        created_at=T0)


HOME = category("Home")
KITCHEN = category("Kitchen", HOME)
GARDEN = category("Garden", HOME)
EMPTY = category("Lighting", HOME)


def handler(catalogue: Catalogue, embedder: HashingEmbedder | None = None
            ) -> SuggestCategoriesHandler:
    index = InMemoryVectorIndex()
    for view in catalogue.products.values():
        index.upsert(view.id, hashed_vector(view.name))
    return SuggestCategoriesHandler(embedder or HashingEmbedder(), index,
                                    InMemoryProductViews(catalogue),
                                    Categories([HOME, KITCHEN, GARDEN, EMPTY]))  # type: ignore[arg-type]


def test_a_category_path_reads_from_the_root_down() -> None:
    assert category_paths([HOME, KITCHEN])[KITCHEN.id] == "Home > Kitchen"


async def test_the_category_holding_similar_products_comes_first() -> None:
    catalogue = Catalogue()
    catalogue.add("steel kettle", category_id=KITCHEN.id)
    catalogue.add("steel pan", category_id=KITCHEN.id)
    catalogue.add("rubber hose", category_id=GARDEN.id)
    suggestions = await handler(catalogue)(SuggestCategories(name="steel pot", limit=2))
    assert [s.category.name for s in suggestions] == ["Kitchen", suggestions[1].category.name]
    assert suggestions[0].score > suggestions[1].score


async def test_an_empty_category_is_still_found_by_its_name() -> None:
    suggestions = await handler(Catalogue())(SuggestCategories(name="lighting"))
    assert suggestions[0].category.name == "Lighting"


async def test_category_paths_are_embedded_once_per_process() -> None:
    embedder = HashingEmbedder()
    suggest = handler(Catalogue(), embedder)
    await suggest(SuggestCategories(name="lamp"))
    await suggest(SuggestCategories(name="kettle"))
    assert embedder.embedded.count("Home > Kitchen") == 1
