"""The catalog's refusals, each a kind of the shared domain errors."""

from __future__ import annotations

import uuid

from shop.domain.shared.errors import Conflict, NotFound, UnknownReference


class ProductNotFound(NotFound):
    def __init__(self, product_id: uuid.UUID) -> None:
        super().__init__(f"product {product_id} does not exist")


class CategoryNotFound(NotFound):
    def __init__(self, category_id: uuid.UUID) -> None:
        super().__init__(f"category {category_id} does not exist")


class UnknownCategory(UnknownReference):
    def __init__(self, field: str, category_id: uuid.UUID) -> None:
        super().__init__(field, f"category {category_id} does not exist")


class CategoryCycle(Conflict):
    def __init__(self, category_id: uuid.UUID, parent_id: uuid.UUID) -> None:
        super().__init__(
            f"category {category_id} cannot move under {parent_id}: "
            "that is the category itself or one of its descendants"
        )


class CategoryInUse(Conflict):
    def __init__(self, category_id: uuid.UUID, reason: str) -> None:
        super().__init__(f"category {category_id} cannot be deleted: {reason}")


class DuplicateSku(Conflict):
    def __init__(self, sku: str) -> None:
        super().__init__(f"another product already has the sku {sku!r}")
