"""Product bodies. Stock is set once at creation; afterwards only the inventory API changes it."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from shop.application.catalog.commands import CreateProduct, UpdateProduct
from shop.application.catalog.views import ProductView
from shop.domain.shared.money import DEFAULT_CURRENCY
from shop.interfaces.http.dto.common import money_text
from shop.interfaces.http.dto.fields import (
    Currency,
    Description,
    Name,
    Price,
    Sku,
    StockLevel,
    unset_to_app,
)


class CreateProductRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    price: Price
    category_id: uuid.UUID
    stock: StockLevel
    description: Description = ""
    currency: Currency = DEFAULT_CURRENCY
    sku: Sku | None = None

    def to_command(self) -> CreateProduct:
        return CreateProduct(
            name=self.name,
            price=self.price,
            category_id=self.category_id,
            stock=self.stock,
            description=self.description,
            currency=self.currency,
            sku=self.sku,
        )


class UpdateProductRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A partial change; `stock` is not writable here (it is rejected as an unknown field)."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType = msgspec.UNSET
    currency: Currency | msgspec.UnsetType = msgspec.UNSET
    category_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    sku: Sku | msgspec.UnsetType | None = msgspec.UNSET
    """`null` removes the product's SKU."""

    def to_command(self, product_id: uuid.UUID) -> UpdateProduct:
        return UpdateProduct(
            product_id=product_id,
            name=unset_to_app(self.name),
            description=unset_to_app(self.description),
            price=unset_to_app(self.price),
            currency=unset_to_app(self.currency),
            category_id=unset_to_app(self.category_id),
            sku=unset_to_app(self.sku),
        )


class ProductResponse(msgspec.Struct, kw_only=True):
    """A product as clients see it: internal versions are never exposed."""

    id: uuid.UUID
    name: str
    description: str
    price: str
    currency: str
    category_id: uuid.UUID
    stock: int
    sku: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: ProductView) -> ProductResponse:
        return cls(
            id=view.id,
            name=view.name,
            description=view.description,
            price=money_text(view.price),
            currency=view.currency,
            category_id=view.category_id,
            stock=view.stock,
            sku=view.sku,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )
