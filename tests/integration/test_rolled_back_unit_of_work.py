"""A unit of work that was rolled back forgets what it recorded, on every implementation.

The ordering saga reuses one unit of work for several transactions by design:
if a failed block's events survived its rollback, the next commit would write
them to the outbox and announce something that never happened. The same
scenario runs on the in-memory fake (which the unit suite trusts) and on the
SQL unit of work over SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop.domain.catalog.category import Category
from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.db.migrate import upgrade_to_head
from shop.infrastructure.db.schema import outbox
from shop.infrastructure.db.unit_of_work import SqlUnitOfWork
from shop.settings import Settings
from tests.unit.fakes import FakeUnitOfWork, Store

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class Backend:
    """One implementation of the unit of work, and how to read what it published."""

    unit_of_work: FakeUnitOfWork | SqlUnitOfWork
    outbox: Callable[[], Awaitable[list[tuple[str, uuid.UUID]]]]


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "fake":
        store = Store()

        async def fake_outbox() -> list[tuple[str, uuid.UUID]]:
            return [(event.type_name, event.aggregate_id) for event in store.outbox]

        yield Backend(FakeUnitOfWork(store), fake_outbox)
        return
    settings: Settings = (request.getfixturevalue("sqlite_settings") if request.param == "sqlite"
                          else Settings(database_url=request.getfixturevalue("postgres_url")))
    engine = build_engine(settings)
    await upgrade_to_head(engine)

    async def sql_outbox() -> list[tuple[str, uuid.UUID]]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.event_type, outbox.c.aggregate_id).order_by(outbox.c.id))
            return [(row.event_type, row.aggregate_id) for row in rows]

    try:
        yield Backend(SqlUnitOfWork(engine), sql_outbox)
    finally:
        await engine.dispose()


def a_category(name: str) -> Category:
    return Category.create(id=uuid.uuid4(), name=name, parent_id=None, now=NOW)


class Failure(Exception):
    """What the failed block raises."""


async def test_a_commit_after_a_rolled_back_block_publishes_nothing_of_that_block(
    backend: Backend,
) -> None:
    uow = backend.unit_of_work
    failed, kept = a_category("Never"), a_category("Kept")

    with pytest.raises(Failure):
        async with uow:
            await uow.categories.add(failed)  # records CategoryCreated
            raise Failure
    async with uow:
        await uow.categories.add(kept)
        await uow.commit()

    assert [(event.type_name, event.aggregate_id) for event in uow.committed_events()] == [
        ("CategoryCreated", kept.id)]
    assert await backend.outbox() == [("CategoryCreated", kept.id)]


async def test_an_explicit_rollback_forgets_the_events_recorded_before_it(
    backend: Backend,
) -> None:
    uow = backend.unit_of_work
    failed, kept = a_category("Never"), a_category("Kept")

    async with uow:
        await uow.categories.add(failed)
        await uow.rollback()
    async with uow:
        await uow.categories.add(kept)
        await uow.commit()

    assert await backend.outbox() == [("CategoryCreated", kept.id)]
