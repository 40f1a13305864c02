"""ProductEmbeddingIndexer: every live product's embedding is current, computed once."""

from __future__ import annotations

import uuid

import pytest

from shop.application.ai.indexer import ProductEmbeddingIndexer
from shop.application.consumers import ReceivedEvent
from shop.domain.catalog.events import ProductDeleted
from tests.unit.ai_fakes import (
    T0,
    Catalogue,
    HashingEmbedder,
    InMemoryEmbeddingStore,
    InMemoryProductDocuments,
    InMemoryVectorIndex,
    hashed_vector,
)


class Fixture:
    def __init__(self) -> None:
        self.catalogue = Catalogue()
        self.embedder = HashingEmbedder()
        self.store = InMemoryEmbeddingStore()
        self.index = InMemoryVectorIndex()
        self.indexer = ProductEmbeddingIndexer(self.embedder,
                                               InMemoryProductDocuments(self.catalogue),
                                               self.store, self.index)


@pytest.fixture
def f() -> Fixture:
    return Fixture()


def event(type_: str, product_id: uuid.UUID, **data: object) -> ReceivedEvent:
    return ReceivedEvent(type=type_, event_id=uuid.uuid4(), occurred_at=T0,
                         data={"product_id": str(product_id), "version": 1, **data})


async def test_a_created_product_is_embedded_from_its_name_path_and_description(
    f: Fixture,
) -> None:
    sofa = f.catalogue.add("Sofa", description="Brown leather", path=("Home", "Sofas"))
    await f.indexer.handle(event("ProductCreated", sofa.id))
    text = "Sofa. Home > Sofas. Brown leather"
    assert f.embedder.embedded == [text]
    assert f.store.rows[sofa.id].model_id == "test-hashing-64"
    assert f.store.rows[sofa.id].product_version == 1
    assert f.index.vector_of(sofa.id) == hashed_vector(text)


async def test_a_redelivered_event_computes_nothing_again(f: Fixture) -> None:
    sofa = f.catalogue.add("Sofa")
    created = event("ProductCreated", sofa.id)
    await f.indexer.handle(created)
    await f.indexer.handle(created)
    assert len(f.embedder.embedded) == 1


async def test_a_rename_re_embeds_but_a_price_change_does_not(f: Fixture) -> None:
    sofa = f.catalogue.add("Sofa")
    await f.indexer.handle(event("ProductCreated", sofa.id))
    await f.indexer.handle(event("ProductUpdated", sofa.id, changed=["price"]))
    assert len(f.embedder.embedded) == 1
    f.catalogue.rename(sofa.id, "Chesterfield sofa")
    await f.indexer.handle(event("ProductUpdated", sofa.id, changed=["name"]))
    assert f.embedder.embedded[-1] == "Chesterfield sofa"
    assert f.store.rows[sofa.id].product_version == 2


async def test_an_event_about_a_product_deleted_since_drops_it_from_the_index(
    f: Fixture,
) -> None:
    sofa = f.catalogue.add("Sofa")
    await f.indexer.handle(event("ProductCreated", sofa.id))
    f.catalogue.delete(sofa.id)
    await f.indexer.handle(event("ProductUpdated", sofa.id, changed=["name"]))
    assert f.index.vector_of(sofa.id) is None


async def test_a_deletion_in_this_process_leaves_the_index_at_once(f: Fixture) -> None:
    sofa = f.catalogue.add("Sofa")
    await f.indexer.handle(event("ProductCreated", sofa.id))
    await f.indexer.on_product_deleted(ProductDeleted(product_id=sofa.id, version=2))
    assert len(f.index) == 0


async def test_reindexing_embeds_every_product_and_reports_progress(f: Fixture) -> None:
    for n in range(70):
        f.catalogue.add(f"Product {n}")
    reports: list[tuple[int, int]] = []
    done = await f.indexer.reindex_all(lambda done, total: reports.append((done, total)))
    assert done == 70 == len(f.index) == len(f.store.rows)
    assert reports == [(0, 70), (32, 70), (64, 70), (70, 70)]
