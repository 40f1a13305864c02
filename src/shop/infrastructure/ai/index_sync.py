"""Keeps this process's vector index equal to the embeddings stored in the database.

At start it loads every stored vector of the running model; then, every
`SHOP_AI_INDEX_REFRESH_SECONDS`, it copies what any process stored since
(and drops products deleted since). The stored embeddings are the truth, so
any number of server processes converge on the same index, and a product
embedded by one is found through all of them within about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from shop.application.ai.ports import Embedder
from shop.infrastructure.ai.numpy_index import NumpyVectorIndex
from shop.infrastructure.db.embedding_store import SqlEmbeddingStore
from shop.infrastructure.observability.metrics import AI_EMBEDDINGS_PENDING, AI_INDEXED_PRODUCTS

log = logging.getLogger("shop.ai.index")

COMMIT_SLACK = timedelta(seconds=5)
"""Rows are stamped before their transaction commits: re-read this far back so a slow
commit is never skipped (re-loading a vector is harmless)."""


class VectorIndexCatchUp:
    """A background service of the runtime (start/stop)."""

    def __init__(self, store: SqlEmbeddingStore, index: NumpyVectorIndex, embedder: Embedder,
                 *, every_seconds: float) -> None:
        self._store = store
        self._index = index
        self._model_id = embedder.model_id
        self._every = every_seconds
        self._seen_until: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.catch_up()
        self._task = asyncio.create_task(self._loop(), name="shop-vector-index-catch-up")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def catch_up(self) -> int:
        """Apply what changed since the last pass; returns how many vectors were (re)loaded."""
        since = None if self._seen_until is None else self._seen_until - COMMIT_SLACK
        changes = await self._store.changes_since(since, self._model_id)
        for product_id, vector in changes.vectors:
            self._index.upsert(product_id, tuple(vector.tolist()))
        for product_id in changes.deleted:
            self._index.remove(product_id)
        if changes.latest is not None and (self._seen_until is None
                                           or changes.latest > self._seen_until):
            self._seen_until = changes.latest
        AI_INDEXED_PRODUCTS.set(len(self._index))
        AI_EMBEDDINGS_PENDING.set(await self._store.pending_count(self._model_id))
        return len(changes.vectors)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.catch_up()
            except Exception:
                log.exception("vector index catch-up failed; retrying on the next pass")
