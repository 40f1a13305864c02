"""The PostgreSQL pool keeps the connections it opened, up to its size, and makes the rest wait.

An overflow pool closes every connection returned while `pool_size` others
sit idle and opens a new one at the next burst: under a steady load that was
several new backends a second. `SHOP_DATABASE_POOL_SIZE` is therefore the
most a worker ever opens, and what it keeps.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy import event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shop.infrastructure.db.engine import async_url, build_engine
from shop.infrastructure.db.fair_pool import FairAsyncQueuePool
from shop.infrastructure.observability.deferred_observations import DEFERRED
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


async def _opened_and_peak(postgres_url: str, pool_size: int,
                           bursts: tuple[int, ...]) -> tuple[int, int]:
    """Run the bursts on a fresh engine: (connections it opened, most held at once)."""
    engine = build_engine(Settings(database_url=postgres_url, database_pool_size=pool_size))
    opened = _count_connects(engine)
    peak = [0]
    try:
        for concurrency in bursts:
            await _burst(engine, concurrency, peak)
    finally:
        await engine.dispose()
    return len(opened), peak[0]


async def test_bursts_of_load_reuse_the_connections_the_pool_already_opened(
    postgres_url: str,
) -> None:
    # Load that rises past the pool and falls, again and again.
    opened, peak = await _opened_and_peak(postgres_url, 3, (6, 1, 6, 2, 6, 1))
    assert opened == 3
    assert peak == 3


async def test_a_burst_larger_than_the_pool_waits_for_connections_instead_of_opening_more(
    postgres_url: str,
) -> None:
    opened, peak = await _opened_and_peak(postgres_url, 3, (12,))
    assert peak == 3
    assert opened == 3


async def test_a_returned_connection_goes_to_the_longest_waiter_not_to_a_newcomer(
    postgres_url: str,
) -> None:
    # SQLAlchemy's own asyncio pool lets a checkout that arrives while the woken
    # waiter has not run yet take the connection, and sends the waiter back to
    # the end of the line: under a burst, the latency's tail (bench/README.md).
    engine = build_engine(Settings(database_url=postgres_url, database_pool_size=1))
    served: list[str] = []

    async def checkout(name: str) -> None:
        async with engine.connect():
            served.append(name)

    try:
        holder = await engine.connect()
        waiter = asyncio.create_task(checkout("waiter"))
        for _ in range(5):
            await asyncio.sleep(0)  # the waiter is now queued in the pool
        newcomer = asyncio.create_task(checkout("newcomer"))  # runs before the waiter wakes
        await holder.close()
        await asyncio.gather(waiter, newcomer)
    finally:
        await engine.dispose()
    assert served == ["waiter", "newcomer"]


async def test_a_checkout_past_the_pool_timeout_fails_as_a_pool_timeout_and_leaks_nothing(
    postgres_url: str,
) -> None:
    # The pool's TimeoutError is what the app answers 503 + Retry-After to.
    engine = create_async_engine(async_url(postgres_url), poolclass=FairAsyncQueuePool,
                                 pool_size=1, max_overflow=0, pool_timeout=0.05)
    try:
        async with engine.connect():
            with pytest.raises(PoolTimeout):
                await engine.connect()
        async with engine.connect() as conn:  # the timed-out waiter took nothing with it
            assert await conn.scalar(sa.text("SELECT 1")) == 1
        assert engine.sync_engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def _checkout_once(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


def _pool_wait() -> tuple[float, float]:
    """(checkouts timed, seconds waited in all) of `shop_db_pool_wait_seconds`, as a scrape
    would see them now."""
    DEFERRED.flush()
    return (REGISTRY.get_sample_value("shop_db_pool_wait_seconds_count") or 0.0,
            REGISTRY.get_sample_value("shop_db_pool_wait_seconds_sum") or 0.0)


async def test_the_time_a_checkout_waited_for_a_busy_pool_is_in_the_metrics(
    postgres_url: str,
) -> None:
    engine = build_engine(Settings(database_url=postgres_url, database_pool_size=1))
    try:
        async with engine.connect():  # the pool's one connection, opened
            pass
        count_before, waited_before = _pool_wait()
        holder = await engine.connect()
        waiter = asyncio.create_task(_checkout_once(engine))
        await asyncio.sleep(0.2)
        await holder.close()
        await waiter
        count, waited = _pool_wait()
    finally:
        await engine.dispose()
    assert count - count_before == 2  # the holder's checkout and the waiter's
    assert waited - waited_before >= 0.2
