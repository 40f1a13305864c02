"""The SQL side of search on each backend: full-text ranking, stored embeddings, index catch-up."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from shop.application.ai.ports import SearchFilter, StoredEmbedding
from shop.application.catalog.commands import (
    CreateCategory,
    CreateProduct,
    DeleteProduct,
    UpdateProduct,
)
from shop.bootstrap import ShopRuntime, bootstrap
from shop.infrastructure.ai.index_sync import VectorIndexCatchUp
from shop.infrastructure.ai.numpy_index import NumpyVectorIndex
from shop.settings import Settings
from tests.unit.ai_fakes import HashingEmbedder, hashed_vector


@pytest.fixture
async def shop(database_settings: Settings) -> AsyncIterator[ShopRuntime]:
    settings = database_settings.with_overrides(migrate_on_start=True, log_level="WARNING")
    async with bootstrap(settings) as runtime:
        yield runtime


async def add_products(shop: ShopRuntime, *products: tuple[str, str, str]) -> list[uuid.UUID]:
    category = await shop.bus.handle(CreateCategory(name="Home"))
    ids = []
    for name, description, price in products:
        view = await shop.bus.handle(CreateProduct(name=name, description=description,
                                                   price=price, category_id=category.id,
                                                   stock=3))
        ids.append(view.id)
    return ids


async def keyword(
    shop: ShopRuntime, text: str, criteria: SearchFilter | None = None
) -> list[uuid.UUID]:
    hits = await shop.container.keyword_index().search(text, criteria or SearchFilter(), 10)
    return [hit.product_id for hit in hits]


async def test_keyword_search_ranks_a_name_match_above_a_description_match(
    shop: ShopRuntime,
) -> None:
    sofa, table = await add_products(
        shop,
        ("Leather sofa", "A sofa in brown leather", "499.00"),
        ("Coffee table", "Fits in front of any sofa", "89.00"),
    )
    assert await keyword(shop, "sofa") == [sofa, table]


async def test_keyword_search_stems_folds_case_and_reads_any_alphabet(
    shop: ShopRuntime,
) -> None:
    sofas, cafe, greek = await add_products(
        shop,
        ("Modular Sofas", "", "10.00"),
        ("CAFÉ chair", "", "10.00"),
        ("Καναπές", "ελληνικός", "10.00"),
    )
    assert await keyword(shop, "sofa") == [sofas]
    assert await keyword(shop, "café") == [cafe]
    assert await keyword(shop, "Καναπές") == [greek]


async def test_keyword_search_matches_any_word_and_ranks_more_matches_higher(
    shop: ShopRuntime,
) -> None:
    both, one = await add_products(shop, ("Oak dining table", "", "10.00"),
                                   ("Oak shelf", "", "10.00"))
    assert await keyword(shop, "oak table") == [both, one]


async def test_keyword_search_follows_renames_and_forgets_deleted_products(
    shop: ShopRuntime,
) -> None:
    [lamp] = await add_products(shop, ("Desk lamp", "", "10.00"))
    await shop.bus.handle(UpdateProduct(product_id=lamp, name="Floor light"))
    assert await keyword(shop, "lamp") == []
    assert await keyword(shop, "light") == [lamp]
    await shop.bus.handle(DeleteProduct(product_id=lamp))
    assert await keyword(shop, "light") == []


async def test_keyword_search_applies_price_filters_and_ignores_query_syntax(
    shop: ShopRuntime,
) -> None:
    cheap, dear = await add_products(shop, ("Mug", "", "5.00"), ("Mug deluxe", "", "50.00"))
    assert await keyword(shop, "mug", SearchFilter(max_price=Decimal("10.00"))) == [cheap]
    assert set(await keyword(shop, '"mug" OR NEAR( * : \' & | !')) == {cheap, dear}
    assert await keyword(shop, "*&|!") == []


async def test_an_embedding_is_stored_with_its_model_and_never_replaced_by_an_older_one(
    shop: ShopRuntime,
) -> None:
    [mug] = await add_products(shop, ("Mug", "", "5.00"))
    store = shop.container.embedding_store()
    await store.save(StoredEmbedding(mug, "m1", 2, (1.0, 0.0)))
    await store.save(StoredEmbedding(mug, "m1", 1, (0.0, 1.0)))
    assert await store.stored_version(mug, "m1") == 2
    assert await store.stored_version(mug, "another-model") is None
    changes = await store.changes_since(None, "m1")
    assert [(pid, vector.tolist()) for pid, vector in changes.vectors] == [(mug, [1.0, 0.0])]


async def test_a_second_process_catches_up_from_the_stored_embeddings(
    shop: ShopRuntime,
) -> None:
    """Two indexes on one database: what one process stored, the other finds, and loses."""
    embedder = HashingEmbedder()
    [mug, kettle] = await add_products(shop, ("Mug", "", "5.00"), ("Kettle", "", "20.00"))
    store = shop.container.embedding_store()
    other_index = NumpyVectorIndex()
    other = VectorIndexCatchUp(store, other_index, embedder, every_seconds=60)
    await other.catch_up()
    assert len(other_index) == 0
    for pid, text in ((mug, "mug"), (kettle, "kettle")):
        await store.save(StoredEmbedding(pid, embedder.model_id, 1, hashed_vector(text)))
    assert await other.catch_up() == 2
    assert other_index.nearest(hashed_vector("kettle"), 1)[0].product_id == kettle
    await shop.bus.handle(DeleteProduct(product_id=kettle))
    await other.catch_up()
    assert other_index.vector_of(kettle) is None
    assert len(other_index) == 1


async def test_shop_ai_reindex_embeds_every_live_product_with_the_bundled_model(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from shop.interfaces.cli import reindex_embeddings

    async with bootstrap(sqlite_settings) as runtime:
        ids = await add_products(runtime, ("Mug", "", "5.00"), ("Kettle", "", "20.00"))
    assert await reindex_embeddings(sqlite_settings) == 0
    assert "2 products embedded with all-MiniLM-L6-v2-onnx-int8" in capsys.readouterr().out
    async with bootstrap(sqlite_settings) as runtime:
        store = runtime.container.embedding_store()
        assert [await store.stored_version(pid, "all-MiniLM-L6-v2-onnx-int8") for pid in ids] == [
            1, 1]
        assert len(runtime.container.vector_index()) == 2  # loaded at start from the store


async def test_shop_ai_reindex_refuses_when_the_ai_features_are_off(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from shop.interfaces.cli import reindex_embeddings

    assert await reindex_embeddings(sqlite_settings.with_overrides(ai_enabled=False)) == 2
    assert "SHOP_AI_ENABLED=false" in capsys.readouterr().err
