"""How many database connections each process of the shop keeps (`database_pool_size`)."""

from __future__ import annotations

import pytest

from shop.infrastructure.db.engine import build_engine
from shop.settings import DEFAULT_DATABASE_CONNECTIONS, Settings

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/never_connected"


def test_one_process_keeps_the_default_connections_when_no_size_is_set() -> None:
    assert DEFAULT_DATABASE_CONNECTIONS == 10
    assert Settings().database_pool_size_per_worker() == 10


@pytest.mark.parametrize(("workers", "each"), [(1, 10), (2, 5), (3, 3), (5, 2)])
def test_workers_share_the_default_connections_when_no_size_is_set(workers: int,
                                                                   each: int) -> None:
    assert Settings().database_pool_size_per_worker(workers) == each


def test_many_workers_keep_at_least_two_connections_each() -> None:
    assert Settings().database_pool_size_per_worker(8) == 2


def test_a_size_that_is_set_is_each_workers_own_whatever_their_number() -> None:
    settings = Settings.from_env({"SHOP_DATABASE_POOL_SIZE": "7"})

    assert [settings.database_pool_size_per_worker(n) for n in (1, 2, 4)] == [7, 7, 7]


async def test_the_engine_pool_holds_the_size_the_settings_give() -> None:
    shared = build_engine(Settings(database_url=POSTGRES_URL))
    set_size = build_engine(Settings(database_url=POSTGRES_URL, database_pool_size=4))
    try:
        assert shared.pool.size() == 10  # type: ignore[attr-defined]
        assert set_size.pool.size() == 4  # type: ignore[attr-defined]
    finally:
        await shared.dispose()
        await set_size.dispose()


@pytest.mark.parametrize("size", [0, -3])
def test_a_pool_size_below_one_is_refused(size: int) -> None:
    # SQLAlchemy would read 0 as "no limit at all".
    with pytest.raises(ValueError, match=f"SHOP_DATABASE_POOL_SIZE must be at least 1, not {size}"):
        Settings(database_pool_size=size)


def test_a_malformed_number_names_its_variable() -> None:
    with pytest.raises(ValueError, match="SHOP_DATABASE_POOL_SIZE must be an integer, not 'ten'"):
        Settings.from_env({"SHOP_DATABASE_POOL_SIZE": "ten"})
    with pytest.raises(ValueError, match="SHOP_NEAR_CACHE_SECONDS must be a number, not 'soon'"):
        Settings.from_env({"SHOP_NEAR_CACHE_SECONDS": "soon"})
