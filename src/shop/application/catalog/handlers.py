"""Handlers of the catalog's commands: load, apply the domain rule, commit."""

from __future__ import annotations

import uuid

from shop.application.catalog.commands import (
    CreateCategory,
    CreateProduct,
    DeleteCategory,
    DeleteProduct,
    UpdateCategory,
    UpdateProduct,
)
from shop.application.catalog.views import CategoryView, ProductView
from shop.application.messages import UNSET
from shop.application.ports import Clock, UnitOfWork
from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import (
    CategoryInUse,
    CategoryNotFound,
    DuplicateSku,
    ProductNotFound,
    UnknownCategory,
)
from shop.domain.catalog.product import Product
from shop.domain.inventory.errors import StockNotFound
from shop.domain.inventory.stock import Stock
from shop.domain.shared.errors import InvalidValue
from shop.domain.shared.money import Money


def price_of(amount: str, currency: str) -> Money:
    """Build a price, reporting a bad amount against the `price` field the client sent."""
    try:
        return Money.of(amount, currency)
    except InvalidValue as error:
        field = "price" if error.field == "amount" else error.field
        raise InvalidValue(field, error.detail) from None


async def _require_category(uow: UnitOfWork, field: str, category_id: uuid.UUID) -> Category:
    category = await uow.categories.get(category_id)
    if category is None:
        raise UnknownCategory(field, category_id)
    return category


class CreateCategoryHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: CreateCategory, uow: UnitOfWork) -> CategoryView:
        async with uow:
            if command.parent_id is not None:
                await _require_category(uow, "parent_id", command.parent_id)
            category = Category.create(
                id=uuid.uuid4(), name=command.name, parent_id=command.parent_id,
                now=self._clock.now(),
            )
            await uow.categories.add(category)
            await uow.commit()
            return CategoryView.of(category)


class UpdateCategoryHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: UpdateCategory, uow: UnitOfWork) -> CategoryView:
        async with uow:
            category = await uow.categories.get(command.category_id)
            if category is None:
                raise CategoryNotFound(command.category_id)
            now = self._clock.now()
            if command.name is not UNSET:
                category.rename(command.name, now)
            if command.parent_id is not UNSET:
                lineage: list[uuid.UUID] = []
                if command.parent_id is not None:
                    await _require_category(uow, "parent_id", command.parent_id)
                    lineage = await uow.categories.lineage(command.parent_id)
                category.move_under(command.parent_id, lineage, now)
            category.mark_updated()
            await uow.categories.save(category)
            await uow.commit()
            return CategoryView.of(category)


class DeleteCategoryHandler:
    async def __call__(self, command: DeleteCategory, uow: UnitOfWork) -> None:
        async with uow:
            category = await uow.categories.get(command.category_id)
            if category is None:
                raise CategoryNotFound(command.category_id)
            if await uow.categories.has_children(category.id):
                raise CategoryInUse(category.id, "it still has subcategories")
            if await uow.categories.has_products(category.id):
                raise CategoryInUse(category.id, "it still has products")
            category.mark_deleted()
            await uow.categories.remove(category)
            await uow.commit()


class CreateProductHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: CreateProduct, uow: UnitOfWork) -> ProductView:
        price = price_of(command.price, command.currency)
        now = self._clock.now()
        async with uow:
            await _require_category(uow, "category_id", command.category_id)
            product = Product.create(
                id=uuid.uuid4(), name=command.name, description=command.description,
                price=price, category_id=command.category_id, sku=command.sku, now=now,
            )
            if product.sku is not None and await uow.products.sku_taken(product.sku):
                raise DuplicateSku(product.sku)
            stock = Stock.open(product.id, command.stock, now)
            await uow.products.add(product)
            await uow.stock.add(stock)
            await uow.commit()
            return ProductView.of(product, stock)


class UpdateProductHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: UpdateProduct, uow: UnitOfWork) -> ProductView:
        async with uow:
            product = await uow.products.get(command.product_id)
            if product is None:
                raise ProductNotFound(command.product_id)
            price = None
            if command.price is not UNSET or command.currency is not UNSET:
                amount = (
                    command.price if command.price is not UNSET else str(product.price.amount)
                )
                currency = (
                    command.currency if command.currency is not UNSET else product.price.currency
                )
                price = price_of(amount, currency)
            category_id = None
            if command.category_id is not UNSET:
                category_id = (await _require_category(uow, "category_id", command.category_id)).id
            sku = None if command.sku is UNSET else command.sku
            product.revise(
                now=self._clock.now(),
                name=None if command.name is UNSET else command.name,
                description=None if command.description is UNSET else command.description,
                price=price,
                category_id=category_id,
                sku=sku,
                clear_sku=command.sku is None,
            )
            if product.sku is not None and await uow.products.sku_taken(
                product.sku, other_than=product.id
            ):
                raise DuplicateSku(product.sku)
            await uow.products.save(product)
            stock = await uow.stock.get(product.id)
            if stock is None:
                raise StockNotFound(product.id)
            await uow.commit()
            return ProductView.of(product, stock)


class DeleteProductHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: DeleteProduct, uow: UnitOfWork) -> None:
        async with uow:
            product = await uow.products.get(command.product_id)
            if product is None:
                raise ProductNotFound(command.product_id)
            product.discontinue(self._clock.now())
            await uow.products.remove(product)
            await uow.commit()
