"""Two processes' near caches over one Redis: a write in one is seen by the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shop.application.catalog.commands import CreateCategory, CreateProduct, UpdateProduct
from shop.application.catalog.queries import GetProductById
from shop.bootstrap import ShopRuntime, bootstrap
from shop.infrastructure.cache.near import NearProductCache
from shop.settings import Settings


@pytest.fixture
async def two_processes(
    postgres_redis_settings: Settings,
) -> AsyncIterator[tuple[ShopRuntime, ShopRuntime]]:
    """Two runtimes sharing PostgreSQL and Redis, as two API processes would."""
    async with bootstrap(postgres_redis_settings) as first, bootstrap(
        postgres_redis_settings
    ) as second:
        for runtime in (first, second):
            cache = runtime.container.product_cache()
            assert isinstance(cache, NearProductCache)
            await asyncio.wait_for(cache.subscribed(), 5)
        yield first, second


async def test_a_product_changed_through_one_process_reads_fresh_through_the_other(
    two_processes: tuple[ShopRuntime, ShopRuntime],
) -> None:
    writer, reader = two_processes
    category = await writer.bus.handle(CreateCategory(name="Shoes"))
    product = await writer.bus.handle(
        CreateProduct(name="Old", price="10.00", category_id=category.id, stock=2))
    assert (await reader.bus.ask(GetProductById(product_id=product.id))).name == "Old"
    assert (await reader.bus.ask(GetProductById(product_id=product.id))).name == "Old"  # near hit

    for attempt in range(20):
        await writer.bus.handle(UpdateProduct(product_id=product.id, name=f"New {attempt}"))
        await asyncio.sleep(0)  # the reader's event loop gets one turn, as between requests
        await asyncio.sleep(0.01)
        seen = await reader.bus.ask(GetProductById(product_id=product.id))
        assert seen.name == f"New {attempt}"


async def test_the_writing_process_reads_its_own_write_at_once(
    two_processes: tuple[ShopRuntime, ShopRuntime],
) -> None:
    writer, _ = two_processes
    category = await writer.bus.handle(CreateCategory(name="Shoes"))
    product = await writer.bus.handle(
        CreateProduct(name="Old", price="10.00", category_id=category.id, stock=2))
    await writer.bus.ask(GetProductById(product_id=product.id))
    await writer.bus.handle(UpdateProduct(product_id=product.id, price="12.00"))
    assert str((await writer.bus.ask(GetProductById(product_id=product.id))).price) == "12.00"
