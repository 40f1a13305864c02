"""Two processes' near caches over one Redis: a write in one is seen by the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shop.application.catalog.commands import (
    CreateCategory,
    CreateProduct,
    UpdateCategory,
    UpdateProduct,
)
from shop.application.catalog.queries import GetCategoryTree, GetProductById, ListProducts
from shop.application.inventory.commands import AdjustStock
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


async def test_a_list_page_read_through_one_process_shows_every_write_made_through_the_other(
    two_processes: tuple[ShopRuntime, ShopRuntime],
) -> None:
    writer, reader = two_processes
    category = await writer.bus.handle(CreateCategory(name="Shoes"))
    first = await writer.bus.handle(
        CreateProduct(name="Boot", price="10.00", category_id=category.id, stock=2))
    page = await reader.bus.ask(ListProducts())
    assert [(p.name, p.stock) for p in page.items] == [("Boot", 2)]
    assert await reader.bus.ask(ListProducts()) == page  # served again, from memory

    second = await writer.bus.handle(
        CreateProduct(name="Sandal", price="20.00", category_id=category.id, stock=1))
    page = await reader.bus.ask(ListProducts())
    assert {p.name for p in page.items} == {"Boot", "Sandal"}
    assert page.total == 2

    await writer.bus.handle(AdjustStock(product_id=first.id, delta=5, reason="recount"))
    await writer.bus.handle(UpdateProduct(product_id=second.id, name="Clog"))
    page = await reader.bus.ask(ListProducts())
    assert {(p.name, p.stock) for p in page.items} == {("Boot", 7), ("Clog", 1)}


async def test_a_category_moved_through_one_process_filters_and_nests_at_once_in_the_other(
    two_processes: tuple[ShopRuntime, ShopRuntime],
) -> None:
    writer, reader = two_processes
    shoes = await writer.bus.handle(CreateCategory(name="Shoes"))
    boots = await writer.bus.handle(CreateCategory(name="Boots"))
    await writer.bus.handle(
        CreateProduct(name="Boot", price="10.00", category_id=boots.id, stock=2))
    assert (await reader.bus.ask(ListProducts(category_id=shoes.id))).total == 0
    assert [n.name for n in await reader.bus.ask(GetCategoryTree())] == ["Boots", "Shoes"]

    await writer.bus.handle(UpdateCategory(category_id=boots.id, parent_id=shoes.id))
    assert (await reader.bus.ask(ListProducts(category_id=shoes.id))).total == 1
    tree = await reader.bus.ask(GetCategoryTree())
    assert [(n.name, [c.name for c in n.children]) for n in tree] == [("Shoes", ["Boots"])]


async def test_concurrent_stock_changes_in_one_process_each_wait_for_the_other_to_evict(
    two_processes: tuple[ShopRuntime, ShopRuntime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Acknowledgements travel in batches, yet every change returns only once the other
    process has dropped its copy: none times out, and every read after it is fresh."""
    writer, reader = two_processes
    category = await writer.bus.handle(CreateCategory(name="Shoes"))
    products = [await writer.bus.handle(
        CreateProduct(name=f"P{i}", price="10.00", category_id=category.id, stock=100))
        for i in range(20)]
    for product in products:
        assert (await reader.bus.ask(GetProductById(product_id=product.id))).stock == 100

    await asyncio.gather(*(
        writer.bus.handle(AdjustStock(product_id=product.id, delta=-1 - i, reason="count"))
        for i, product in enumerate(products)))

    for i, product in enumerate(products):
        assert (await reader.bus.ask(GetProductById(product_id=product.id))).stock == 99 - i
    assert not [r for r in caplog.records if "acknowledg" in r.getMessage()]
