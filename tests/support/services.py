"""Where the real PostgreSQL and Redis for the tests come from.

Order of preference: testcontainers when a Docker daemon answers; otherwise the
URLs in SHOP_TEST_POSTGRES_URL / SHOP_TEST_REDIS_URL; otherwise the services on
127.0.0.1. A service that cannot be reached skips its tests on a laptop, and
fails the run when CI=true: CI never passes by skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run set-up code to completion, also when a test's event loop is already running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, why: str) -> None:
    message = f"{what} is not reachable ({why})"
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@cache
def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a plain `postgresql://` URL of a server the tests may create databases on."""
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    url = os.environ.get("SHOP_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    try:
        run(_pg_ping(url))
    except Exception as error:
        unavailable("PostgreSQL", f"{url}: {type(error).__name__}: {error}")
    yield url


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    if docker_available():
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7-alpine") as container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
        return
    url = os.environ.get("SHOP_TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        run(_redis_ping(url))
    except Exception as error:
        unavailable("Redis", f"{url}: {type(error).__name__}: {error}")
    yield url


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pg_ping(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    await conn.close()


async def _redis_ping(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def pg_admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def database_url(server_url: str, name: str) -> str:
    """The SQLAlchemy async URL of database `name` on the same server."""
    base, _, _ = asyncpg_dsn(server_url).rpartition("/")
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def delete_keys(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        batch = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if batch:
            await client.unlink(*batch)
    finally:
        await client.aclose()
