"""`ProductStockProjection`: keeps the current stock and name of every product.

`StockChanged` carries the new level and the stock's version; the catalog's
events carry the product's name and version. Each is kept only if it is newer
than what is kept, so redelivered or reordered events never roll a level back.
"""

from __future__ import annotations

import uuid

from shop.application.analytics.ports import ProjectionSession
from shop.application.analytics.projection_consumer import ProjectionConsumer
from shop.application.consumers import ReceivedEvent


class ProductStockProjection(ProjectionConsumer):
    """An event consumer (`EventConsumer`) of the stock and catalog events."""

    name = "analytics-stock"
    event_types = frozenset({"StockChanged", "ProductCreated", "ProductUpdated",
                             "ProductDeleted"})

    async def apply(self, session: ProjectionSession, event: ReceivedEvent) -> None:
        data = event.data
        product_id = uuid.UUID(str(data["product_id"]))
        version = int(data["version"])
        if event.type == "StockChanged":
            await session.record_stock(product_id, int(data["stock"]), version)
        elif event.type == "ProductDeleted":
            await session.record_product_deleted(product_id, version)
        elif "name" in data:
            await session.record_product(product_id, str(data["name"]), version)
