"""Fixtures for the unit suite: the real handlers on in-memory ports."""

from __future__ import annotations

import uuid

import pytest

from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.application.catalog.views import CategoryView, ProductView

from .fakes import FakeShop, build_fake_shop


class Catalog:
    """The fake catalog plus short ways to put things in it through the bus."""

    def __init__(self, fake: FakeShop) -> None:
        self.fake = fake
        self.bus = fake.bus
        self.store = fake.store
        self.cache = fake.cache
        self.read_model = fake.read_model
        self.published = fake.published

    async def category(self, name: str, parent: CategoryView | None = None) -> CategoryView:
        return await self.bus.handle(
            CreateCategory(name=name, parent_id=None if parent is None else parent.id)
        )

    async def product(
        self,
        name: str = "Widget",
        *,
        category: CategoryView,
        price: str = "10.00",
        currency: str = "USD",
        stock: int = 5,
        sku: str | None = None,
        description: str = "",
    ) -> ProductView:
        return await self.bus.handle(
            CreateProduct(
                name=name,
                price=price,
                currency=currency,
                category_id=category.id,
                stock=stock,
                sku=sku,
                description=description,
            )
        )

    def event_types(self) -> list[str]:
        return [event.type_name for event in self.published]

    def stored_product_ids(self) -> set[uuid.UUID]:
        return set(self.store.tables.products)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(build_fake_shop())


@pytest.fixture
def shop() -> FakeShop:
    return build_fake_shop()
