"""Reactions to committed catalog and stock events inside the process."""

from __future__ import annotations

from shop.application.catalog.ports import ProductCache
from shop.domain.catalog.events import CategoryEvent, ProductCreated, ProductEvent
from shop.domain.inventory.events import StockChanged


class InvalidateCachedProduct:
    """Makes the next read of a changed product, or of a list, fresh (cache-aside, after
    commit). A changed product or stock level invalidates the lists that show it too."""

    def __init__(self, cache: ProductCache) -> None:
        self._cache = cache

    async def on_product_changed(self, event: ProductEvent) -> None:
        await self._cache.invalidate(event.product_id, product_version=event.version)

    async def on_stock_changed(self, event: StockChanged) -> None:
        await self._cache.invalidate(event.product_id, stock_version=event.version)

    async def on_listing_changed(self, event: ProductCreated | CategoryEvent) -> None:
        """A new product joins lists; a category change moves products between filters."""
        await self._cache.invalidate_listings()
