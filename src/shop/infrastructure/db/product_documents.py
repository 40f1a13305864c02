"""`ProductDocuments` in SQL: a product's name, description and category path."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.ports import ProductDocument
from shop.infrastructure.db.schema import categories, products

_columns = (products.c.id, products.c.version, products.c.name, products.c.description,
            products.c.category_id)


def category_paths(rows: Any) -> dict[uuid.UUID, tuple[str, ...]]:
    """Every category's names from its root down (iteratively: depth is unbounded)."""
    parents = {row.id: (row.parent_id, row.name) for row in rows}
    paths: dict[uuid.UUID, tuple[str, ...]] = {}
    for category_id in parents:
        names: list[str] = []
        seen: set[uuid.UUID] = set()
        current: uuid.UUID | None = category_id
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            parent, name = parents[current]
            names.append(name)
            current = parent
        paths[category_id] = tuple(reversed(names))
    return paths


def _document(row: Any, paths: Mapping[uuid.UUID, tuple[str, ...]]) -> ProductDocument:
    return ProductDocument(product_id=row.id, version=row.version, name=row.name,
                           description=row.description,
                           category_path=paths.get(row.category_id, ()))


class SqlProductDocuments:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def document(self, product_id: uuid.UUID) -> ProductDocument | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(*_columns).where(products.c.id == product_id,
                                           products.c.deleted_at.is_(None))
            )).first()
            if row is None:
                return None
            paths = category_paths((await conn.execute(sa.select(categories))).all())
        return _document(row, paths)

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            total: int = (await conn.execute(
                sa.select(sa.func.count()).select_from(products)
                .where(products.c.deleted_at.is_(None))
            )).scalar_one()
        return total

    async def all_documents(self, batch_size: int) -> AsyncIterator[list[ProductDocument]]:
        """Keyset pages by id: no long-lived cursor, so writers are never held up."""
        async with self._engine.connect() as conn:
            paths = category_paths((await conn.execute(sa.select(categories))).all())
        after: uuid.UUID | None = None
        while True:
            query = (sa.select(*_columns).where(products.c.deleted_at.is_(None))
                     .order_by(products.c.id).limit(batch_size))
            if after is not None:
                query = query.where(products.c.id > after)
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            if not rows:
                return
            yield [_document(row, paths) for row in rows]
            after = rows[-1].id
