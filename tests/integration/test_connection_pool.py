"""The PostgreSQL pool keeps the connections it opened, up to its size, and makes the rest wait.

An overflow pool closes every connection returned while `pool_size` others
sit idle and opens a new one at the next burst: under a steady load that was
several new backends a second. `SHOP_DATABASE_POOL_SIZE` is therefore the
most a worker ever opens, and what it keeps.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.engine import build_engine
from shop.settings import Settings


def _count_connects(engine: AsyncEngine) -> list[object]:
    opened: list[object] = []

    @event.listens_for(engine.sync_engine.pool, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        opened.append(dbapi_connection)

    return opened


async def _burst(engine: AsyncEngine, concurrency: int, peak: list[int]) -> None:
    """`concurrency` statements at once, each holding its connection for a moment."""
    busy = 0

    async def one() -> None:
        nonlocal busy
        async with engine.connect() as conn:
            busy += 1
            peak[0] = max(peak[0], busy)
            await conn.execute(sa.text("SELECT pg_sleep(0.02)"))
            busy -= 1

    await asyncio.gather(*(one() for _ in range(concurrency)))


async def test_bursts_of_load_reuse_the_connections_the_pool_already_opened(
    postgres_url: str,
) -> None:
    engine = build_engine(Settings(database_url=postgres_url, database_pool_size=3))
    opened = _count_connects(engine)
    peak = [0]
    try:
        for concurrency in (6, 1, 6, 2, 6, 1):  # load that rises past the pool and falls
            await _burst(engine, concurrency, peak)
        assert len(opened) == 3
        assert peak[0] == 3
    finally:
        await engine.dispose()


async def test_a_burst_larger_than_the_pool_waits_for_connections_instead_of_opening_more(
    postgres_url: str,
) -> None:
    engine = build_engine(Settings(database_url=postgres_url, database_pool_size=3))
    opened = _count_connects(engine)
    peak = [0]
    try:
        await _burst(engine, 12, peak)
        assert peak[0] == 3
        assert len(opened) == 3
    finally:
        await engine.dispose()
