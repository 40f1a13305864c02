"""`ProductEmbeddingIndexer`: keeps every product's embedding current, from catalog events.

It consumes `ProductCreated` and `ProductUpdated`, reads the product as it is
now (so a late or repeated event never writes an old text), embeds it, stores
the vector with the model id and the product version, and puts it in this
process's index; other processes copy it from the store. Idempotent without a
processed-events record: an embedding already stored for this model and this
product version (or a newer one) is not recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shop.application.ai.ports import (
    Embedder,
    EmbeddingStore,
    ProductDocument,
    ProductDocuments,
    StoredEmbedding,
    VectorIndex,
)
from shop.application.consumers import ReceivedEvent
from shop.domain.catalog.events import ProductDeleted

TEXT_FIELDS = frozenset({"name", "description", "category_id"})
"""An update that changed none of these (price, SKU, currency) leaves the embedding as is."""
REINDEX_BATCH = 32

Progress = Callable[[int, int], None]
"""Called with (products done, products in total) as a reindex goes."""


class ProductEmbeddingIndexer:
    name = "ai-product-embeddings"
    event_types = frozenset({"ProductCreated", "ProductUpdated"})

    def __init__(
        self,
        embedder: Embedder,
        documents: ProductDocuments,
        store: EmbeddingStore,
        index: VectorIndex,
    ) -> None:
        self._embedder = embedder
        self._documents = documents
        self._store = store
        self._index = index

    async def handle(self, event: ReceivedEvent) -> None:
        changed = event.data.get("changed")
        if event.type == "ProductUpdated" and not TEXT_FIELDS.intersection(changed or ()):
            return
        await self.refresh(uuid.UUID(str(event.data["product_id"])))

    async def refresh(self, product_id: uuid.UUID) -> None:
        document = await self._documents.document(product_id)
        if document is None:
            self.forget(product_id)
            return
        stored = await self._store.stored_version(product_id, self._embedder.model_id)
        if stored is not None and stored >= document.version:
            return
        await self._embed_and_keep([document])

    def forget(self, product_id: uuid.UUID) -> None:
        """A deleted product leaves this process's index (results already skip it)."""
        self._index.remove(product_id)

    async def on_product_deleted(self, event: ProductDeleted) -> None:
        """In-process, right after the delete commits (other processes: the index catch-up)."""
        self.forget(event.product_id)

    async def reindex_all(self, progress: Progress | None = None) -> int:
        """Recompute every live product's embedding (after a model change); returns how many."""
        total = await self._documents.count()
        done = 0
        if progress is not None:
            progress(done, total)
        async for batch in self._documents.all_documents(REINDEX_BATCH):
            await self._embed_and_keep(batch)
            done += len(batch)
            if progress is not None:
                progress(done, max(total, done))
        return done

    async def _embed_and_keep(self, documents: list[ProductDocument]) -> None:
        vectors = await self._embedder.embed([document.text for document in documents])
        for document, vector in zip(documents, vectors, strict=True):
            await self._store.save(StoredEmbedding(
                product_id=document.product_id,
                model_id=self._embedder.model_id,
                product_version=document.version,
                vector=vector,
            ))
            self._index.upsert(document.product_id, vector)
