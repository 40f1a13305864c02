"""Inventory commands: stock moved by a delta, or counted and set outright."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.inventory.views import StockView
from shop.application.messages import Command


@dataclass(frozen=True, kw_only=True)
class AdjustStock(Command[StockView]):
    """A relative change (a delivery, a breakage): safe under concurrent orders, unlike
    reading the level and setting it."""

    product_id: uuid.UUID
    delta: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class SetStock(Command[StockView]):
    product_id: uuid.UUID
    stock: int
