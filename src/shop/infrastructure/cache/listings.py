"""Product list pages and the category list kept in this process, dropped on any change.

A list page costs two SQL statements (the page and its `total`) and, when
filtered by category, a third (the category tree); served from memory it
costs what a cached product read does. Coherence is the near product
cache's (`near.py`): every product, stock and category change clears these
pages in the writing process before its broadcast and in every other process
before it acknowledges, and the write answers only after those
acknowledgements, so once a write has answered no process serves a page
from before it (the contract's read-your-writes, for lists too). Pages are
used only while the invalidation feed is live.

When a page is missing (first read, expired, dropped by a write) the readers
that ask for it at once share one database read instead of each making their
own: on a busy category page every expiry would otherwise send every
concurrent request to PostgreSQL together.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar, cast

from shop.application.catalog.ports import CatalogReadModel
from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)
from shop.infrastructure.shared_reads import SharedReads

R = TypeVar("R")


class NearListings:
    """A bounded, expiring map of list results with a generation that every clear bumps.

    A reader notes the generation before it queries the database and stores
    its result only if no clear happened meanwhile: a page read before a
    write can never be put back after the write's invalidation.
    """

    def __init__(self, *, ttl_seconds: float, max_entries: int = 2_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self.generation = 0
        self.active = False
        """True while the invalidation feed is live (set by the near product cache)."""

    def get(self, key: Hashable) -> object | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            del self._entries[key]
            return None
        return found[1]

    def put(self, key: Hashable, value: object, generation: int) -> None:
        if not self.active or generation != self.generation:
            return
        self._entries[key] = (time.monotonic() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()


class ListingCachedReadModel:
    """The catalog read model with its list results served from `NearListings`."""

    def __init__(self, inner: CatalogReadModel, listings: NearListings) -> None:
        self._inner = inner
        self._listings = listings
        self._reads: SharedReads[object] = SharedReads("listing-read")

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        return await self._inner.product(product_id)

    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]:
        return await self._listed(("products", criteria, page.limit, page.offset),
                                  lambda: self._inner.products(criteria, page))

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        return await self._inner.category(category_id)

    async def categories(self, page: Page) -> PageOf[CategoryView]:
        return await self._inner.categories(page)

    async def all_categories(self) -> Sequence[CategoryView]:
        async def load() -> tuple[CategoryView, ...]:
            return tuple(await self._inner.all_categories())
        return await self._listed(("all_categories",), load)

    async def _listed(self, key: Hashable, load: Callable[[], Awaitable[R]]) -> R:
        """The kept result for `key`, or one read shared by every reader missing it meanwhile.

        A read belongs to the generation it started in: a reader arriving after
        a clear (a write it may have seen answered) starts a read of its own
        instead of joining one that may predate the write. Each key always
        holds what its `load` returns.
        """
        if not self._listings.active:
            return await load()
        found = self._listings.get(key)
        if found is not None:
            return cast(R, found)
        generation = self._listings.generation
        return cast(R, await self._reads.read(
            (key, generation), lambda: self._load(key, generation, load)))

    async def _load(self, key: Hashable, generation: int,
                    load: Callable[[], Awaitable[R]]) -> object:
        result = await load()
        self._listings.put(key, result, generation)
        return result
