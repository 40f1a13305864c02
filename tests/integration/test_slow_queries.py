"""Slow SQL statements: counted, timed and logged by shape, on SQLite and on PostgreSQL.

The statement is made slow on purpose: `pg_sleep` on PostgreSQL, a user function
that sleeps on SQLite. The threshold is lowered so the test stays quick.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.settings import Settings

SLOW_QUERY_MS = 50
SLEEP_SECONDS = 0.2
SECRET = "correct horse battery staple"


def sleep_then_echo(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


@pytest.fixture
async def slow_engine(database_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(database_settings.with_overrides(slow_query_ms=SLOW_QUERY_MS))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _add_sleep(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.create_function("shop_sleep", 2, sleep_then_echo)

    yield engine
    await engine.dispose()


def slow_statement(engine: AsyncEngine) -> sa.TextClause:
    if engine.dialect.name == "sqlite":
        return sa.text("SELECT shop_sleep(:seconds, :secret)")
    return sa.text("SELECT pg_sleep(:seconds), CAST(:secret AS TEXT)")


def slow_count() -> float:
    return REGISTRY.get_sample_value(
        "shop_db_slow_queries_total", {"kind": "select", "table": "none"}) or 0.0


def duration_count(kind: str, table: str) -> float:
    """The statements timed so far, as a scrape would see them now."""
    DEFERRED.flush()
    return REGISTRY.get_sample_value(
        "shop_db_query_duration_seconds_count", {"kind": kind, "table": table}) or 0.0


async def test_a_statement_slower_than_the_threshold_is_logged_by_shape_and_counted(
    slow_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    slow_before, timed_before = slow_count(), duration_count("select", "none")
    caplog.set_level(logging.WARNING, logger="shop.db.slow")

    async with slow_engine.connect() as conn:
        await conn.execute(slow_statement(slow_engine),
                           {"seconds": SLEEP_SECONDS, "secret": SECRET})

    assert slow_count() == slow_before + 1
    assert duration_count("select", "none") == timed_before + 1
    [record] = [r for r in caplog.records if r.getMessage() == "slow query"]
    assert record.levelno == logging.WARNING
    assert record.kind == "select"  # type: ignore[attr-defined]
    assert "sleep" in record.statement  # type: ignore[attr-defined]
    assert record.duration_ms >= SLOW_QUERY_MS  # type: ignore[attr-defined]
    assert SECRET not in record.statement  # type: ignore[attr-defined]
    assert str(SLEEP_SECONDS) not in record.statement  # type: ignore[attr-defined]


async def test_every_statement_is_timed_by_kind_and_main_table(engine: AsyncEngine) -> None:
    """`engine` is the shop's own, migrated: its tables are known labels, others are `other`."""
    products_before = duration_count("select", "products")
    other_before = duration_count("select", "other")

    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT count(*) FROM products"))
        await conn.execute(sa.text("CREATE TEMPORARY TABLE scratch (x INTEGER)"))
        await conn.execute(sa.text("SELECT count(*) FROM scratch"))

    assert duration_count("select", "products") == products_before + 1
    assert duration_count("select", "other") == other_before + 1
