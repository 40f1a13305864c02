"""Reactions to committed catalog and stock events inside the process."""

from __future__ import annotations

from shop.application.catalog.ports import ProductCache
from shop.domain.catalog.events import ProductEvent
from shop.domain.inventory.events import StockChanged


class InvalidateCachedProduct:
    """Makes the next read of a changed product fresh (cache-aside, after commit)."""

    def __init__(self, cache: ProductCache) -> None:
        self._cache = cache

    async def on_product_changed(self, event: ProductEvent) -> None:
        await self._cache.invalidate(event.product_id, product_version=event.version)

    async def on_stock_changed(self, event: StockChanged) -> None:
        await self._cache.invalidate(event.product_id, stock_version=event.version)
