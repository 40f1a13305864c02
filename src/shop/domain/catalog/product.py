"""A product as the catalog sells it. Its stock lives in its own aggregate (inventory)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shop.domain.catalog.events import ProductCreated, ProductDeleted, ProductUpdated
from shop.domain.catalog.names import clean_description, clean_name, clean_sku
from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.events import EventRecorder
from shop.domain.shared.money import Money


def _check_price(price: Money) -> Money:
    if price.is_negative:
        raise InvalidValue("price", "must not be negative")
    return price


@dataclass(eq=False)
class Product(EventRecorder):
    id: uuid.UUID
    name: str
    description: str
    price: Money
    category_id: uuid.UUID
    sku: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @classmethod
    def create(
        cls,
        *,
        id: uuid.UUID,
        name: str,
        description: str,
        price: Money,
        category_id: uuid.UUID,
        sku: str | None,
        now: datetime,
    ) -> Product:
        product = cls(
            id=id,
            name=clean_name(name),
            description=clean_description(description),
            price=_check_price(price),
            category_id=category_id,
            sku=clean_sku(sku),
            created_at=now,
            updated_at=now,
        )
        product._record_created()
        return product

    def _record_created(self) -> None:
        self.record(
            ProductCreated(
                product_id=self.id,
                version=self.version,
                name=self.name,
                price=str(self.price.amount),
                currency=self.price.currency,
                category_id=self.category_id,
                sku=self.sku,
            )
        )

    def revise(
        self,
        *,
        now: datetime,
        name: str | None = None,
        description: str | None = None,
        price: Money | None = None,
        category_id: uuid.UUID | None = None,
        sku: str | None = None,
        clear_sku: bool = False,
    ) -> tuple[str, ...]:
        """Apply the given changes; returns the names of the fields that really changed."""
        changed: list[str] = []
        if name is not None and (new_name := clean_name(name)) != self.name:
            self.name = new_name
            changed.append("name")
        if description is not None and (new_desc := clean_description(description)) != (
            self.description
        ):
            self.description = new_desc
            changed.append("description")
        if price is not None and _check_price(price) != self.price:
            if price.amount != self.price.amount:
                changed.append("price")
            if price.currency != self.price.currency:
                changed.append("currency")
            self.price = price
        if category_id is not None and category_id != self.category_id:
            self.category_id = category_id
            changed.append("category_id")
        new_sku = None if clear_sku else clean_sku(sku) if sku is not None else self.sku
        if new_sku != self.sku:
            self.sku = new_sku
            changed.append("sku")
        if changed:
            self.version += 1
            self.updated_at = now
            self.record(
                ProductUpdated(product_id=self.id, version=self.version, changed=tuple(changed),
                               name=self.name)
            )
        return tuple(changed)

    def discontinue(self, now: datetime) -> None:
        """Take the product out of the catalog; orders that hold it keep their own copy."""
        self.version += 1
        self.updated_at = now
        self.record(ProductDeleted(product_id=self.id, version=self.version))
