"""Fixtures shared by every layer of tests: settings and the real services.

Each run gets its own PostgreSQL template database (migrated once) and each
test a fresh copy of it, plus its own Redis key prefix; all are removed after.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from shop.settings import Settings
from tests.support import services

# CI replays the same examples every run (a fixed seed); locally each run explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("local")
hypothesis_settings.load_profile("ci" if services.in_ci() else "local")

RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with services.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (fast and isolated)."""
    from shop.infrastructure.db.engine import build_engine
    from shop.infrastructure.db.migrate import upgrade_to_head

    name = f"shop_tpl_{RUN}"
    services.run(services.pg_admin(postgres_server_url, f'CREATE DATABASE "{name}"'))

    async def migrate() -> None:
        engine = build_engine(Settings(database_url=services.database_url(postgres_server_url,
                                                                         name)))
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    services.run(migrate())
    yield name
    services.run(services.pg_admin(postgres_server_url,
                                  f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url(postgres_server_url: str, postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test (SQLAlchemy async URL)."""
    name = f"shop_t_{RUN}_{next(_counter)}"
    services.run(services.pg_admin(postgres_server_url,
                                  f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield services.database_url(postgres_server_url, name)
    services.run(services.pg_admin(postgres_server_url,
                                  f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server() as url:
        yield url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix owned by one test; every key under it is deleted afterwards."""
    prefix = f"shop-test-{RUN}-{next(_counter)}:"
    yield prefix
    services.run(services.delete_keys(redis_url, prefix))


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """The embedded default: an SQLite file, in-process cache and events."""
    return Settings(data_dir=tmp_path, log_level="WARNING", outbox_poll_seconds=0.05)


@pytest.fixture
def postgres_redis_settings(postgres_url: str, redis_url: str, redis_prefix: str) -> Settings:
    """The production-like profile: PostgreSQL plus Redis for cache and events."""
    return Settings(
        database_url=postgres_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        events_stream=f"{redis_prefix}events",
        log_level="WARNING",
        outbox_poll_seconds=0.05,
    )
