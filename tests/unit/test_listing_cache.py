"""Readers missing the same list page at once share one database read, and never an old one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.infrastructure.cache.listings import ListingCachedReadModel, NearListings
from shop.infrastructure.cache.memory import InMemoryProductCache

EVERYTHING = ProductFilter()
FIRST_PAGE = Page(limit=20, offset=0)


class GatedReadModel:
    """A read model whose list reads wait at a gate, so a test decides when they land."""

    def __init__(self) -> None:
        self.reads = 0
        self.gate = asyncio.Event()
        self.fail_next = False

    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]:
        self.reads += 1
        read = self.reads
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the database went away")
        return PageOf(items=[], total=read, limit=page.limit, offset=page.offset)

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        raise AssertionError("not a list read")

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        raise AssertionError("not a list read")

    async def categories(self, page: Page) -> PageOf[CategoryView]:
        raise AssertionError("not cached")

    async def all_categories(self) -> Sequence[CategoryView]:
        return ()


def cached_over(inner: GatedReadModel) -> tuple[ListingCachedReadModel, NearListings]:
    listings = NearListings(ttl_seconds=60)
    listings.active = True  # the invalidation feed is live
    return ListingCachedReadModel(inner, listings), listings


async def started(*readers: asyncio.Task[PageOf[ProductView]]) -> None:
    await asyncio.sleep(0)  # each reader runs up to its wait
    assert not any(reader.done() for reader in readers)


async def test_readers_missing_the_same_page_at_once_share_one_database_read() -> None:
    inner = GatedReadModel()
    cached, _ = cached_over(inner)
    readers = [asyncio.create_task(cached.products(EVERYTHING, FIRST_PAGE)) for _ in range(50)]
    await started(*readers)

    inner.gate.set()
    pages = await asyncio.gather(*readers)

    assert inner.reads == 1
    assert all(page is pages[0] for page in pages)
    assert await cached.products(EVERYTHING, FIRST_PAGE) is pages[0]  # and it is kept
    assert inner.reads == 1


async def test_a_reader_arriving_after_a_write_does_not_join_a_read_that_began_before_it() -> None:
    inner = GatedReadModel()
    cached, listings = cached_over(inner)
    before_the_write = asyncio.create_task(cached.products(EVERYTHING, FIRST_PAGE))
    await started(before_the_write)

    listings.clear()  # a write's invalidation
    after_the_write = asyncio.create_task(cached.products(EVERYTHING, FIRST_PAGE))
    await started(after_the_write)
    inner.gate.set()

    assert (await before_the_write).total == 1
    assert (await after_the_write).total == 2  # its own read, begun after the write
    assert (await cached.products(EVERYTHING, FIRST_PAGE)).total == 2  # the old one not kept


async def test_a_reader_that_gives_up_leaves_the_shared_read_to_the_others() -> None:
    inner = GatedReadModel()
    cached, _ = cached_over(inner)
    leaving, staying = (asyncio.create_task(cached.products(EVERYTHING, FIRST_PAGE))
                        for _ in range(2))
    await started(leaving, staying)

    leaving.cancel()
    await asyncio.sleep(0)
    inner.gate.set()

    assert (await staying).total == 1
    assert leaving.cancelled()
    assert inner.reads == 1


async def test_a_failed_read_fails_every_reader_sharing_it_and_the_next_reader_reads_again(
) -> None:
    inner = GatedReadModel()
    cached, _ = cached_over(inner)
    inner.fail_next = True
    readers = [asyncio.create_task(cached.products(EVERYTHING, FIRST_PAGE)) for _ in range(3)]
    await started(*readers)
    inner.gate.set()

    for reader in readers:
        with pytest.raises(ConnectionError):
            await reader

    assert (await cached.products(EVERYTHING, FIRST_PAGE)).total == 2
    assert inner.reads == 2


async def test_without_a_live_invalidation_feed_every_reader_reads_the_database() -> None:
    inner = GatedReadModel()
    cached, listings = cached_over(inner)
    listings.active = False  # deaf: a kept or shared page could predate a write
    inner.gate.set()

    await asyncio.gather(*(cached.products(EVERYTHING, FIRST_PAGE) for _ in range(3)))

    assert inner.reads == 3


@pytest.mark.parametrize("change", ["product", "stock", "listing"])
async def test_without_redis_every_change_the_product_cache_hears_drops_the_kept_pages(
    change: str,
) -> None:
    inner = GatedReadModel()
    inner.gate.set()
    cached, listings = cached_over(inner)  # active from the start, as without Redis
    product_cache = InMemoryProductCache(ttl_seconds=60, listings=listings)
    kept = await cached.products(EVERYTHING, FIRST_PAGE)
    assert await cached.products(EVERYTHING, FIRST_PAGE) is kept

    if change == "product":
        await product_cache.invalidate(uuid.UUID(int=1), product_version=2)
    elif change == "stock":
        await product_cache.invalidate(uuid.UUID(int=1), stock_version=2)
    else:
        await product_cache.invalidate_listings()

    fresh = await cached.products(EVERYTHING, FIRST_PAGE)
    assert fresh is not kept
    assert inner.reads == 2
