"""Builds the async engine for the configured database and tunes each backend."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shop.infrastructure.db.fair_pool import FairAsyncQueuePool
from shop.infrastructure.db.schema import metadata
from shop.infrastructure.observability.query_timing import time_queries
from shop.settings import Settings

IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before use (see `_ping_when_idle`)."""

SQLITE_BEGIN_OPTION = "shop_sqlite_begin"
"""Execution option a writer sets to open SQLite transactions with BEGIN IMMEDIATE."""

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "mssql": "mssql+aioodbc",
    "mssql+pyodbc": "mssql+aioodbc",
}


def async_url(raw: str) -> URL:
    """Accept the URLs people write (`postgresql://`, `sqlite:///`) and pick the async driver."""
    url = make_url(raw)
    driver = _ASYNC_DRIVERS.get(url.drivername)
    return url.set(drivername=driver) if driver else url


def build_engine(settings: Settings) -> AsyncEngine:
    url = async_url(settings.effective_database_url)
    backend = url.get_backend_name()
    options: dict[str, Any] = {"echo": settings.database_echo}
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": 30}
    else:
        # A fixed-size pool: connections open as concurrency needs them and then
        # stay. With an overflow, every connection returned while `pool_size`
        # were already idle was closed, and reopened at the next burst: under a
        # steady load that churned several connections a second (a backend
        # process and asyncpg's set-up queries each), see bench/README.md.
        # Checkouts are served in arrival order (`fair_pool.py`).
        options.update(
            poolclass=FairAsyncQueuePool,
            pool_size=settings.database_pool_size_per_worker(),
            max_overflow=0,
            pool_recycle=1800,
        )
    engine = create_async_engine(url, **options)
    if backend == "sqlite":
        _tune_sqlite(engine)
    else:
        _ping_when_idle(engine)
    time_queries(engine, slow_query_ms=settings.slow_query_ms,
                 known_tables=[*metadata.tables, "alembic_version"])
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection only when it sat idle, not on every checkout.

    `pool_pre_ping` costs a round trip per checkout, several per order. A
    connection in steady use is known to be alive; one idle for
    IDLE_PING_SECONDS may have been closed by a restart or a proxy, so it is
    pinged, and a dead one is replaced before the caller sees it (the pool
    retries on DisconnectionError). A server lost mid-use fails the statement
    in flight; SQLAlchemy then invalidates the whole pool, so the next
    checkouts reconnect.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["shop_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("shop_idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("idle pooled connection is gone") from error


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, enforced foreign keys, and writers that queue.

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" if another writer got there first; writers therefore
    begin IMMEDIATE (take the write lock up front and wait for it), readers stay
    deferred so they never block anyone.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


async def connect_for_writing(engine: AsyncEngine) -> AsyncConnection:
    """A connection whose transactions take SQLite's write lock up front (no-op elsewhere)."""
    conn = await engine.connect()
    if conn.dialect.name == "sqlite":
        conn = await conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return conn


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    conn = await connect_for_writing(engine)
    try:
        async with conn.begin():
            yield conn
    finally:
        await conn.close()
