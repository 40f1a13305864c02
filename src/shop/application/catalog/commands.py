"""Catalog commands: intents to change categories and products."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.catalog.views import CategoryView, ProductView
from shop.application.messages import UNSET, Command, Unset
from shop.domain.shared.money import DEFAULT_CURRENCY


@dataclass(frozen=True, kw_only=True)
class CreateCategory(Command[CategoryView]):
    name: str
    parent_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateCategory(Command[CategoryView]):
    category_id: uuid.UUID
    name: str | Unset = UNSET
    parent_id: uuid.UUID | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class DeleteCategory(Command[None]):
    category_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class CreateProduct(Command[ProductView]):
    name: str
    price: str
    category_id: uuid.UUID
    stock: int
    description: str = ""
    currency: str = DEFAULT_CURRENCY
    sku: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateProduct(Command[ProductView]):
    product_id: uuid.UUID
    name: str | Unset = UNSET
    description: str | Unset = UNSET
    price: str | Unset = UNSET
    currency: str | Unset = UNSET
    category_id: uuid.UUID | Unset = UNSET
    sku: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class DeleteProduct(Command[None]):
    product_id: uuid.UUID
