"""Handlers of inventory queries."""

from __future__ import annotations

from shop.application.inventory.ports import InventoryReadModel
from shop.application.inventory.queries import GetStock
from shop.application.inventory.views import StockView
from shop.domain.catalog.errors import ProductNotFound


class GetStockHandler:
    def __init__(self, read_model: InventoryReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetStock) -> StockView:
        view = await self._read.stock(query.product_id)
        if view is None:
            raise ProductNotFound(query.product_id)
        return view
