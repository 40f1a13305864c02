"""The `EmbeddingStore` in SQL: float32 vectors as bytes, one row per product."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.ports import StoredEmbedding
from shop.application.ports import Clock
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.schema import product_embeddings, products


def vector_bytes(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class EmbeddingChanges:
    """What changed since a point in time: vectors to (re)load, products to drop."""

    vectors: list[tuple[uuid.UUID, npt.NDArray[np.float32]]]
    deleted: list[uuid.UUID]
    latest: datetime | None


class SqlEmbeddingStore:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def save(self, embedding: StoredEmbedding) -> None:
        values = {
            "model_id": embedding.model_id,
            "product_version": embedding.product_version,
            "dimension": len(embedding.vector),
            "vector": vector_bytes(embedding.vector),
            "updated_at": self._clock.now(),
        }
        table = product_embeddings
        async with write_transaction(self._engine) as conn:
            current = (await conn.execute(
                sa.select(table.c.model_id, table.c.product_version)
                .where(table.c.product_id == embedding.product_id)
            )).first()
            if current is None:
                await conn.execute(sa.insert(table).values(product_id=embedding.product_id,
                                                           **values))
            elif (current.model_id != embedding.model_id
                  or current.product_version <= embedding.product_version):
                await conn.execute(sa.update(table)
                                   .where(table.c.product_id == embedding.product_id)
                                   .values(**values))

    async def stored_version(self, product_id: uuid.UUID, model_id: str) -> int | None:
        table = product_embeddings
        async with self._engine.connect() as conn:
            version: int | None = await conn.scalar(
                sa.select(table.c.product_version)
                .where(table.c.product_id == product_id, table.c.model_id == model_id)
            )
        return version

    async def delete(self, product_id: uuid.UUID) -> None:
        async with write_transaction(self._engine) as conn:
            await conn.execute(sa.delete(product_embeddings)
                               .where(product_embeddings.c.product_id == product_id))

    async def pending_count(self, model_id: str) -> int:
        """Live products with no embedding by this model yet."""
        table = product_embeddings
        query = (
            sa.select(sa.func.count())
            .select_from(products.outerjoin(table, sa.and_(table.c.product_id == products.c.id,
                                                           table.c.model_id == model_id)))
            .where(products.c.deleted_at.is_(None), table.c.product_id.is_(None))
        )
        async with self._engine.connect() as conn:
            pending: int = (await conn.execute(query)).scalar_one()
        return pending

    async def changes_since(self, since: datetime | None, model_id: str) -> EmbeddingChanges:
        """Live products' vectors by this model written after `since` (all when None), and the
        products deleted after it: what a process's index needs to catch up."""
        table = product_embeddings
        vectors_query = (
            sa.select(table.c.product_id, table.c.vector, table.c.updated_at)
            .select_from(table.join(products, products.c.id == table.c.product_id))
            .where(table.c.model_id == model_id, products.c.deleted_at.is_(None))
        )
        deleted_query = sa.select(products.c.id, products.c.deleted_at).where(
            products.c.deleted_at.is_not(None))
        if since is not None:
            vectors_query = vectors_query.where(table.c.updated_at > since)
            deleted_query = deleted_query.where(products.c.deleted_at > since)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(vectors_query)).all()
            deleted_rows = (await conn.execute(deleted_query)).all() if since else []
        stamps = [row.updated_at for row in rows] + [row.deleted_at for row in deleted_rows]
        return EmbeddingChanges(
            vectors=[(row.product_id, vector_from_bytes(row.vector)) for row in rows],
            deleted=[row.id for row in deleted_rows],
            latest=max(stamps) if stamps else None,
        )
