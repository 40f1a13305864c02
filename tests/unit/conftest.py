"""Fixtures for the unit suite: the real handlers on in-memory ports."""

from __future__ import annotations

import uuid

import pytest

from shop.application.catalog.commands import CreateCategory, CreateProduct, DeleteProduct
from shop.application.catalog.views import CategoryView, ProductView
from shop.application.ordering.commands import PlaceOrder
from shop.application.ordering.views import OrderView
from shop.application.shared import Principal
from shop.domain.customers.values import Role
from shop.domain.ordering.order import ItemRequest, Order

from .fakes import FakePaymentGateway, FakeShop, build_fake_shop


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


class Shopfront(Catalog):
    """The fake shop seen from the ordering side: products, customers, orders, the gateway."""

    def __init__(self, fake: FakeShop) -> None:
        super().__init__(fake)
        self.gateway: FakePaymentGateway = fake.gateway
        self._category: CategoryView | None = None
        self._names = 0

    async def item(self, price: str = "10.00", *, stock: int = 5, currency: str = "USD",
                   name: str | None = None) -> ProductView:
        """A product on sale, in a category made on first use."""
        if self._category is None:
            self._category = await self.category("Everything")
        self._names += 1
        return await self.product(name or f"Item {self._names}", category=self._category,
                                  price=price, currency=currency, stock=stock)

    async def discontinue(self, product: ProductView) -> None:
        await self.bus.handle(DeleteProduct(product_id=product.id))

    def place_order(self, customer: uuid.UUID, *lines: tuple[ProductView, int],
                    token: str = "tok_visa", key: str | None = None,
                    fingerprint: str = "body-1") -> PlaceOrder:
        return PlaceOrder(
            customer_id=customer,
            items=tuple(ItemRequest(product.id, quantity) for product, quantity in lines),
            payment_token=token, idempotency_key=key, request_fingerprint=fingerprint)

    async def place(self, customer: uuid.UUID, *lines: tuple[ProductView, int],
                    token: str = "tok_visa", key: str | None = None,
                    fingerprint: str = "body-1") -> OrderView:
        return await self.bus.handle(
            self.place_order(customer, *lines, token=token, key=key, fingerprint=fingerprint))

    # -- the committed state, for assertions

    def stock_of(self, product: ProductView | uuid.UUID) -> int:
        product_id = product if isinstance(product, uuid.UUID) else product.id
        return self.store.tables.stock[product_id].on_hand

    def orders(self) -> list[Order]:
        return list(self.store.tables.orders.values())

    def the_order(self) -> Order:
        """The one order the store holds (when a failing command did not answer it)."""
        [order] = self.orders()
        return order

    def order(self, order_id: uuid.UUID) -> Order:
        return self.store.tables.orders[order_id]


def customer() -> Principal:
    return Principal(customer_id=uuid.uuid4(), role=Role.CUSTOMER)


def admin() -> Principal:
    return Principal(customer_id=uuid.uuid4(), role=Role.ADMIN)


@pytest.fixture
def front() -> Shopfront:
    return Shopfront(build_fake_shop())
