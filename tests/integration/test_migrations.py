"""Alembic migrations build exactly the schema the code declares, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.migrate import current_revision, upgrade_to_head
from shop.infrastructure.db.schema import is_declared_here, metadata


async def test_migrating_to_head_leaves_no_difference_from_the_declared_schema(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_name": is_declared_here}
                ),
                metadata,
            )
        )
    assert diff == []


async def test_migrating_twice_is_a_no_op(engine: AsyncEngine) -> None:
    before = await current_revision(engine)
    await upgrade_to_head(engine)
    assert await current_revision(engine) == before is not None
