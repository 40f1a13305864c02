"""Ports of the inventory context: the stock of each product, written and read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from shop.application.inventory.views import StockView
from shop.domain.inventory.stock import Stock


class StockRepository(Protocol):
    async def add(self, stock: Stock) -> None: ...
    async def get(self, product_id: uuid.UUID) -> Stock | None: ...
    async def apply_delta(self, product_id: uuid.UUID, delta: int, now: datetime) -> Stock | None:
        """Move stock atomically, only if it stays >= 0; None if it would not (or no row).

        Implementations use one conditional UPDATE so that the rule holds across
        any number of concurrent transactions and processes. The unit of work
        sees the Stock returned: the caller records the change on it
        (`Stock.record_change`) and the commit writes that event.
        """
        ...
    async def apply_deltas(
        self, deltas: Mapping[uuid.UUID, int], now: datetime
    ) -> list[Stock] | None:
        """Move several products' stock at once, all or none, as `apply_delta` does one.

        Returns the Stocks in product-id order (each seen, as above), or None if
        any line would leave 0..MAX_STOCK or has no row. After None the caller
        must not commit (it raises): a backend without a batched statement may
        have moved the lines before the refused one. Row locks are taken in
        product-id order, so two callers sharing products never deadlock.
        """
        ...
    async def set_level(
        self, product_id: uuid.UUID, on_hand: int, now: datetime
    ) -> tuple[Stock, int] | None:
        """Set the level outright; the new state (seen, as above) and the delta it made.

        None: no such row.
        """
        ...


class InventoryReadModel(Protocol):
    async def stock(self, product_id: uuid.UUID) -> StockView | None: ...
