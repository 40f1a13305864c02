"""Both product caches keep the same promise: never serve a view older than a write."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from shop.application.catalog.ports import ProductCache
from shop.application.catalog.views import ProductView
from shop.infrastructure.cache.memory import InMemoryProductCache
from shop.infrastructure.cache.redis import RedisProductCache

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def a_view(product_version: int = 1, stock_version: int = 1, name: str = "Runner"
           ) -> ProductView:
    return ProductView(
        id=uuid.UUID(int=1), name=name, description="", price=Decimal("19.90"), currency="USD",
        category_id=uuid.UUID(int=2), stock=5, sku=None, created_at=NOW, updated_at=NOW,
        product_version=product_version, stock_version=stock_version,
    )


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[ProductCache]:
    if request.param == "memory":
        yield InMemoryProductCache(ttl_seconds=60)
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisProductCache(redis, prefix=request.getfixturevalue("redis_prefix"), ttl_seconds=60)
    await redis.aclose()


async def test_a_put_view_is_read_back_unchanged(cache: ProductCache) -> None:
    await cache.put(a_view())
    assert await cache.get(a_view().id) == a_view()


async def test_an_invalidated_product_misses(cache: ProductCache) -> None:
    await cache.put(a_view())
    await cache.invalidate(a_view().id, product_version=2)
    assert await cache.get(a_view().id) is None


async def test_a_slow_reader_cannot_put_back_a_view_older_than_the_invalidation(
    cache: ProductCache,
) -> None:
    await cache.invalidate(a_view().id, product_version=2)
    await cache.put(a_view(product_version=1))
    assert await cache.get(a_view().id) is None
    await cache.put(a_view(product_version=2, name="New"))
    cached = await cache.get(a_view().id)
    assert cached is not None and cached.name == "New"


async def test_stock_and_product_versions_are_guarded_separately(cache: ProductCache) -> None:
    await cache.put(a_view(product_version=3, stock_version=1))
    await cache.invalidate(a_view().id, stock_version=2)
    await cache.put(a_view(product_version=3, stock_version=1))
    assert await cache.get(a_view().id) is None
    await cache.put(replace(a_view(product_version=3, stock_version=2), stock=4))
    cached = await cache.get(a_view().id)
    assert cached is not None and cached.stock == 4


async def test_an_unreachable_redis_degrades_to_misses_instead_of_errors() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = RedisProductCache(redis, prefix="nowhere:", ttl_seconds=60)
    try:
        await cache.put(a_view())
        await cache.invalidate(a_view().id, product_version=2)
        assert await cache.get(a_view().id) is None
    finally:
        await redis.aclose()
