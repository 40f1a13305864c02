"""Facts the catalog publishes. Names are past tense; payloads carry ids, not objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.domain.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ProductEvent(DomainEvent):
    product_id: uuid.UUID
    version: int

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.product_id


@dataclass(frozen=True, kw_only=True)
class ProductCreated(ProductEvent):
    name: str
    price: str
    currency: str
    category_id: uuid.UUID
    sku: str | None


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(ProductEvent):
    changed: tuple[str, ...]
    name: str
    """The product's name after the update, so read models never have to ask the catalog."""


@dataclass(frozen=True, kw_only=True)
class ProductDeleted(ProductEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class CategoryEvent(DomainEvent):
    category_id: uuid.UUID

    @property
    def aggregate_id(self) -> uuid.UUID:
        return self.category_id


@dataclass(frozen=True, kw_only=True)
class CategoryCreated(CategoryEvent):
    name: str
    parent_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CategoryUpdated(CategoryEvent):
    name: str
    parent_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class CategoryDeleted(CategoryEvent):
    pass
