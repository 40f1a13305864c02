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
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence

from shop.application.catalog.ports import CatalogReadModel
from shop.application.catalog.views import (
    CategoryView,
    Page,
    PageOf,
    ProductFilter,
    ProductView,
)


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

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        return await self._inner.product(product_id)

    async def products(self, criteria: ProductFilter, page: Page) -> PageOf[ProductView]:
        key = ("products", criteria, page.limit, page.offset)
        found = self._listings.get(key) if self._listings.active else None
        if isinstance(found, PageOf):
            return found
        generation = self._listings.generation
        result = await self._inner.products(criteria, page)
        self._listings.put(key, result, generation)
        return result

    async def category(self, category_id: uuid.UUID) -> CategoryView | None:
        return await self._inner.category(category_id)

    async def categories(self, page: Page) -> PageOf[CategoryView]:
        return await self._inner.categories(page)

    async def all_categories(self) -> Sequence[CategoryView]:
        key = ("all_categories",)
        found = self._listings.get(key) if self._listings.active else None
        if isinstance(found, tuple):
            return found
        generation = self._listings.generation
        result = tuple(await self._inner.all_categories())
        self._listings.put(key, result, generation)
        return result
