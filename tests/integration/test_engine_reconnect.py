"""A pooled PostgreSQL connection the server closed while it sat idle is replaced unseen.

The engine pings a connection only when it was idle (no round trip per checkout,
see `shop.infrastructure.db.engine`); these tests make every connection count as
idle and close it from the server side, as a restart or a proxy would.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shop.infrastructure.db import engine as engine_module
from shop.infrastructure.db.engine import build_engine
from shop.settings import Settings


async def _terminate_other_sessions(conn: sa.ext.asyncio.AsyncConnection) -> None:
    await conn.execute(sa.text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"))


async def test_a_connection_closed_by_the_server_while_idle_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    engine = build_engine(Settings(database_url=postgres_url))
    admin = build_engine(Settings(database_url=postgres_url))
    try:
        async with engine.connect() as conn:
            first_pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        async with admin.connect() as conn:
            await _terminate_other_sessions(conn)
            await conn.commit()
        async with engine.connect() as conn:
            second_pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        assert second_pid != first_pid
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pings: list[object] = []
    engine = build_engine(Settings(database_url=postgres_url))
    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping",
                        lambda connection: pings.append(connection) or True)
    try:
        for _ in range(3):
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        assert pings == []
    finally:
        await engine.dispose()
