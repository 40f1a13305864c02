"""Inventory queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.inventory.views import StockView
from shop.application.messages import Query


@dataclass(frozen=True, kw_only=True)
class GetStock(Query[StockView]):
    product_id: uuid.UUID
