"""The inventory's refusals."""

from __future__ import annotations

import uuid

from shop.domain.shared.errors import Conflict, InvalidValue, NotFound


class InsufficientStock(Conflict):
    def __init__(self, product_id: uuid.UUID, requested: int, on_hand: int | None = None) -> None:
        have = "" if on_hand is None else f" (on hand: {on_hand})"
        super().__init__(f"not enough stock of product {product_id} for {requested} units{have}")
        self.product_id = product_id


class StockNotFound(NotFound):
    def __init__(self, product_id: uuid.UUID) -> None:
        super().__init__(f"no stock is kept for product {product_id}")


class InvalidStockLevel(InvalidValue):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(field, detail)
