"""SearchProducts: keyword, semantic and hybrid ranking of the live catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

import pytest

from shop.application.ai.errors import AiDisabled
from shop.application.ai.queries import SearchProducts
from shop.application.ai.search import SearchProductsHandler
from shop.application.ai.switch import RefuseWhileAiDisabled
from shop.application.ai.views import SearchMode
from shop.application.catalog.views import CategoryView
from tests.unit.ai_fakes import (
    T0,
    Catalogue,
    HashingEmbedder,
    InMemoryKeywordIndex,
    InMemoryProductViews,
    InMemoryVectorIndex,
    hashed_vector,
)


class Categories:
    def __init__(self, categories: Sequence[CategoryView] = ()) -> None:
        self._categories = list(categories)

    async def all_categories(self) -> Sequence[CategoryView]:
        return self._categories


def handler_for(catalogue: Catalogue, index: InMemoryVectorIndex,
                categories: Sequence[CategoryView] = ()) -> SearchProductsHandler:
    return SearchProductsHandler(HashingEmbedder(), index, InMemoryKeywordIndex(catalogue),
                                 InMemoryProductViews(catalogue),
                                 Categories(categories))  # type: ignore[arg-type]


def indexed(catalogue: Catalogue) -> InMemoryVectorIndex:
    index = InMemoryVectorIndex()
    for view in catalogue.products.values():
        index.upsert(view.id, hashed_vector(f"{view.name}. {view.description}"))
    return index


@pytest.fixture
def catalogue() -> Catalogue:
    shop = Catalogue()
    shop.add("Oak dining table", description="seats six")
    shop.add("Leather sofa", description="three seats, brown leather")
    shop.add("Garden chair", description="folding, weatherproof")
    return shop


def names(results: object) -> list[str]:
    return [item.product.name for item in results.items]  # type: ignore[attr-defined]


async def test_keyword_mode_ranks_products_whose_name_has_the_words_first(
    catalogue: Catalogue,
) -> None:
    handler = handler_for(catalogue, indexed(catalogue))
    results = await handler(SearchProducts(q="leather table", mode=SearchMode.KEYWORD))
    assert results.mode is SearchMode.KEYWORD
    assert names(results) == ["Leather sofa", "Oak dining table"]
    assert results.items[0].score > results.items[1].score


async def test_semantic_mode_ranks_by_vector_similarity_and_finds_what_keywords_miss(
    catalogue: Catalogue,
) -> None:
    index = indexed(catalogue)
    couch = catalogue.add("Couch")  # no shared keyword, but its vector says "sofa" here
    index.upsert(couch.id, hashed_vector("sofa"))
    handler = handler_for(catalogue, index)
    keyword = await handler(SearchProducts(q="sofa", mode=SearchMode.KEYWORD))
    semantic = await handler(SearchProducts(q="sofa", mode=SearchMode.SEMANTIC))
    assert "Couch" not in names(keyword)
    assert names(semantic)[0] == "Couch"


async def test_hybrid_puts_first_what_both_rankings_agree_on(catalogue: Catalogue) -> None:
    handler = handler_for(catalogue, indexed(catalogue))
    results = await handler(SearchProducts(q="garden chair", limit=2))
    assert results.mode is SearchMode.HYBRID
    assert names(results)[0] == "Garden chair"
    assert len(results.items) == 2


async def test_a_deleted_product_leaves_the_results_even_while_its_vector_is_indexed(
    catalogue: Catalogue,
) -> None:
    index = indexed(catalogue)
    sofa = next(v for v in catalogue.products.values() if v.name == "Leather sofa")
    catalogue.delete(sofa.id)
    handler = handler_for(catalogue, index)
    for mode in SearchMode:
        assert "Leather sofa" not in names(await handler(SearchProducts(q="sofa", mode=mode)))


async def test_price_and_category_filters_apply_to_every_mode(catalogue: Catalogue) -> None:
    furniture = CategoryView(id=uuid.uuid4(), name="Furniture", parent_id=None, created_at=T0)
    chairs = CategoryView(id=uuid.uuid4(), name="Chairs", parent_id=furniture.id, created_at=T0)
    catalogue.add("Office chair", price="99.00", category_id=chairs.id)
    catalogue.add("Rocking chair", price="250.00", category_id=chairs.id)
    handler = handler_for(catalogue, indexed(catalogue), [furniture, chairs])
    for mode in SearchMode:
        results = await handler(SearchProducts(q="chair", mode=mode, category_id=furniture.id,
                                               max_price=Decimal("100.00")))
        assert names(results) == ["Office chair"]


async def test_the_limit_caps_the_answer(catalogue: Catalogue) -> None:
    for n in range(30):
        catalogue.add(f"Lamp {n}")
    handler = handler_for(catalogue, indexed(catalogue))
    assert len((await handler(SearchProducts(q="lamp", limit=7))).items) == 7


async def test_with_ai_switched_off_a_search_is_refused() -> None:
    with pytest.raises(AiDisabled):
        await RefuseWhileAiDisabled()(SearchProducts(q="sofa"))
