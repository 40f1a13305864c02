"""`shop serve --workers N` shares the default database connections between its workers.

What PostgreSQL can run at once does not grow with the shop's workers: two
workers of ten connections each placed fewer orders than two of five on the
benchmark's 2 cores (bench/README.md). So unless `SHOP_DATABASE_POOL_SIZE` is
set, the workers of one `shop serve` split the default ten between them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from shop.settings import Settings
from tests.e2e.servers import ServerProcess, running_servers
from tests.support.services import asyncpg_dsn

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BURST = 120
"""Readiness checks sent at once, each on a new connection (so both workers get
some), each taking a pooled connection: enough for both pools to open all they may."""


async def shop_connections(postgres_url: str) -> int:
    """Backends connected to the test's database, this query's own left out."""
    conn = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return count
    finally:
        await conn.close()


async def readiness_burst(server: ServerProcess) -> list[int]:
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.base_url, limits=no_reuse, timeout=30.0,
                                 trust_env=False) as client:
        answers = await asyncio.gather(*(client.get("/health/ready") for _ in range(BURST)))
    return [answer.status_code for answer in answers]


async def test_two_workers_share_the_default_ten_connections_instead_of_opening_ten_each(
    postgres_redis_settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    with running_servers(1, postgres_redis_settings, tmp_path / "logs",
                         workers=2) as (server,):
        statuses = [*await readiness_burst(server), *await readiness_burst(server)]
        connections = await shop_connections(postgres_url)

        assert statuses == [200] * (2 * BURST)
        assert 5 < connections <= 10  # both workers opened some, together at most ten
        assert "5 connections per worker" in server.log_path.read_text()


async def test_a_pool_size_that_is_set_is_each_workers_own(
    postgres_redis_settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    settings = postgres_redis_settings.with_overrides(database_pool_size=3)

    with running_servers(1, settings, tmp_path / "logs", workers=2) as (server,):
        statuses = [*await readiness_burst(server), *await readiness_burst(server)]
        connections = await shop_connections(postgres_url)

        assert statuses == [200] * (2 * BURST)
        assert "3 connections per worker" in server.log_path.read_text()
        assert 3 < connections <= 6
