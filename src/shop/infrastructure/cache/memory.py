"""In-process product cache with the same versioned semantics as the Redis one.

Without Redis it is the product cache, and it drops the process's kept list
pages (`listings.py`) on every change, as the near cache does with Redis:
every write is this process's own then (`shop serve` runs one worker without
Redis), so clearing them here, after commit and before the write answers,
keeps lists read-your-writes.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from shop.application.catalog.views import ProductView
from shop.infrastructure.cache.listings import NearListings


@dataclass(slots=True)
class _Entry:
    product_version: int
    stock_version: int
    view: ProductView | None  # None: an invalidation marker
    expires_at: float


class InMemoryProductCache:
    """A bounded LRU; each entry remembers the newest versions it has seen.

    A put older than the entry's versions is dropped, so a reader that loaded a
    product just before a write can never put the old view back after the
    write's invalidation.
    """

    def __init__(self, ttl_seconds: float = 300, max_entries: int = 10_000,
                 listings: NearListings | None = None) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._listings = listings
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()

    async def get(self, product_id: uuid.UUID) -> ProductView | None:
        entry = self._live(product_id)
        if entry is None:
            return None
        self._entries.move_to_end(product_id)
        return entry.view

    async def put(self, view: ProductView) -> None:
        entry = self._live(view.id)
        if entry is not None and (
            view.product_version < entry.product_version
            or view.stock_version < entry.stock_version
        ):
            return
        self._store(view.id, _Entry(view.product_version, view.stock_version, view, 0.0))

    async def invalidate(
        self, product_id: uuid.UUID, *, product_version: int = 0, stock_version: int = 0
    ) -> None:
        entry = self._live(product_id)
        pv, sv = (entry.product_version, entry.stock_version) if entry else (0, 0)
        self._store(product_id,
                    _Entry(max(pv, product_version), max(sv, stock_version), None, 0.0))
        self._clear_listings()  # the lists show the product's fields and stock too

    async def invalidate_listings(self) -> None:
        self._clear_listings()

    def _clear_listings(self) -> None:
        if self._listings is not None:
            self._listings.clear()

    def _live(self, product_id: uuid.UUID) -> _Entry | None:
        entry = self._entries.get(product_id)
        if entry is not None and entry.expires_at < time.monotonic():
            del self._entries[product_id]
            return None
        return entry

    def _store(self, product_id: uuid.UUID, entry: _Entry) -> None:
        entry.expires_at = time.monotonic() + self._ttl
        self._entries[product_id] = entry
        self._entries.move_to_end(product_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
