"""Product commands through the message bus, on in-memory ports."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shop.application.catalog.commands import CreateProduct, DeleteProduct, UpdateProduct
from shop.application.catalog.queries import GetProductById, ListProducts
from shop.application.catalog.views import CategoryView
from shop.domain.catalog.errors import DuplicateSku, ProductNotFound, UnknownCategory
from shop.domain.catalog.events import ProductCreated, ProductDeleted, ProductUpdated
from shop.domain.inventory.errors import InvalidStockLevel
from shop.domain.inventory.events import StockChanged
from shop.domain.shared.errors import InvalidValue

from .conftest import Catalog


@pytest.fixture
async def books(catalog: Catalog) -> CategoryView:
    return await catalog.category("Books")


def create(category: CategoryView, **fields: object) -> CreateProduct:
    values: dict[str, object] = {
        "name": "Dune",
        "price": "19.99",
        "category_id": category.id,
        "stock": 3,
    }
    values.update(fields)
    return CreateProduct(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ CreateProduct


async def test_creating_a_product_answers_it_as_stored(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, description="Spice", sku="B-1", currency="EUR"))

    assert (dune.name, dune.description, dune.sku) == ("Dune", "Spice", "B-1")
    assert (dune.price, dune.currency, dune.stock) == (Decimal("19.99"), "EUR", 3)
    assert dune.category_id == books.id
    assert (dune.product_version, dune.stock_version) == (1, 1)
    assert dune.updated_at >= dune.created_at
    assert await catalog.bus.ask(GetProductById(product_id=dune.id)) == dune


async def test_the_currency_defaults_to_usd(catalog: Catalog, books: CategoryView) -> None:
    dune = await catalog.bus.handle(create(books))
    assert dune.currency == "USD"


async def test_a_whole_price_is_kept_with_two_fraction_digits(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, price="5"))
    assert str(dune.price) == "5.00"


async def test_creating_a_product_with_opening_stock_publishes_created_then_stock_changed(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, stock=12))

    created, stocked = catalog.published[-2:]
    assert isinstance(created, ProductCreated)
    assert (created.product_id, created.price, created.currency) == (dune.id, "19.99", "USD")
    assert isinstance(stocked, StockChanged)
    assert (stocked.product_id, stocked.stock, stocked.delta) == (dune.id, 12, 12)
    assert catalog.store.outbox[-2:] == [created, stocked]


async def test_creating_a_product_with_no_stock_publishes_no_stock_change(
    catalog: Catalog, books: CategoryView
) -> None:
    await catalog.bus.handle(create(books, stock=0))
    assert catalog.event_types()[-1] == "ProductCreated"
    assert "StockChanged" not in catalog.event_types()


async def test_creating_a_product_under_an_unknown_category_is_refused_and_stores_nothing(
    catalog: Catalog,
) -> None:
    with pytest.raises(UnknownCategory) as refused:
        await catalog.bus.handle(
            CreateProduct(name="Dune", price="1.00", category_id=uuid.uuid4(), stock=1)
        )

    assert refused.value.field == "category_id"
    assert catalog.store.tables.products == {}
    assert catalog.store.tables.stock == {}
    assert catalog.published == []


async def test_creating_a_product_with_a_sku_already_in_use_is_refused_and_stores_nothing(
    catalog: Catalog, books: CategoryView
) -> None:
    first = await catalog.bus.handle(create(books, sku="B-1"))
    events = len(catalog.store.outbox)

    with pytest.raises(DuplicateSku):
        await catalog.bus.handle(create(books, name="Dune Messiah", sku=" B-1 "))

    assert catalog.stored_product_ids() == {first.id}
    assert set(catalog.store.tables.stock) == {first.id}
    assert len(catalog.store.outbox) == events


async def test_the_sku_of_a_deleted_product_can_be_used_again(
    catalog: Catalog, books: CategoryView
) -> None:
    first = await catalog.bus.handle(create(books, sku="B-1"))
    await catalog.bus.handle(DeleteProduct(product_id=first.id))

    again = await catalog.bus.handle(create(books, sku="B-1"))

    assert again.sku == "B-1"


@pytest.mark.parametrize("price", ["1.999", "-1.00", "abc", "NaN", ""])
async def test_creating_a_product_with_a_bad_price_is_refused_on_the_price_field(
    catalog: Catalog, books: CategoryView, price: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(create(books, price=price))

    assert refused.value.field == "price"
    assert catalog.store.tables.products == {}


async def test_creating_a_product_in_an_unknown_currency_is_refused_on_the_currency_field(
    catalog: Catalog, books: CategoryView
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(create(books, currency="ABC"))

    assert refused.value.field == "currency"
    assert catalog.store.tables.products == {}


async def test_creating_a_product_with_negative_stock_is_refused_and_stores_nothing(
    catalog: Catalog, books: CategoryView
) -> None:
    with pytest.raises(InvalidStockLevel) as refused:
        await catalog.bus.handle(create(books, stock=-1))

    assert refused.value.field == "stock"
    assert catalog.store.tables.products == {}
    assert catalog.store.tables.stock == {}


async def test_creating_a_product_with_a_blank_name_is_refused_and_stores_nothing(
    catalog: Catalog, books: CategoryView
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(create(books, name="  "))

    assert refused.value.field == "name"
    assert catalog.store.tables.products == {}


# ------------------------------------------------------------------ UpdateProduct


async def test_updating_only_the_name_keeps_every_other_field(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, description="Spice", sku="B-1"))

    renamed = await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="Dune (2nd ed.)"))

    assert renamed.name == "Dune (2nd ed.)"
    assert (renamed.description, renamed.price, renamed.currency) == (
        "Spice",
        Decimal("19.99"),
        "USD",
    )
    assert (renamed.category_id, renamed.sku, renamed.stock) == (books.id, "B-1", 3)
    assert renamed.product_version == dune.product_version + 1
    assert await catalog.bus.ask(GetProductById(product_id=dune.id)) == renamed


async def test_updating_only_the_price_keeps_the_currency(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, currency="EUR"))

    repriced = await catalog.bus.handle(UpdateProduct(product_id=dune.id, price="24.50"))

    assert (repriced.price, repriced.currency) == (Decimal("24.50"), "EUR")


async def test_updating_only_the_currency_keeps_the_amount(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    converted = await catalog.bus.handle(UpdateProduct(product_id=dune.id, currency="GBP"))

    assert (converted.price, converted.currency) == (Decimal("19.99"), "GBP")
    event = catalog.published[-1]
    assert isinstance(event, ProductUpdated)
    assert event.changed == ("currency",)


async def test_updating_the_price_to_more_than_two_fraction_digits_is_refused_and_keeps_it(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(UpdateProduct(product_id=dune.id, price="1.999"))

    assert refused.value.field == "price"
    assert await catalog.bus.ask(GetProductById(product_id=dune.id)) == dune


async def test_updating_the_price_to_a_negative_amount_is_refused(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(UpdateProduct(product_id=dune.id, price="-0.01"))

    assert refused.value.field == "price"


async def test_moving_a_product_to_another_category(catalog: Catalog, books: CategoryView) -> None:
    music = await catalog.category("Music")
    dune = await catalog.bus.handle(create(books))

    moved = await catalog.bus.handle(UpdateProduct(product_id=dune.id, category_id=music.id))

    assert moved.category_id == music.id


async def test_moving_a_product_to_an_unknown_category_is_refused_and_keeps_it(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    with pytest.raises(UnknownCategory) as refused:
        await catalog.bus.handle(UpdateProduct(product_id=dune.id, category_id=uuid.uuid4()))

    assert refused.value.field == "category_id"
    assert (await catalog.bus.ask(GetProductById(product_id=dune.id))).category_id == books.id


async def test_setting_the_sku_to_none_clears_it(catalog: Catalog, books: CategoryView) -> None:
    dune = await catalog.bus.handle(create(books, sku="B-1"))

    cleared = await catalog.bus.handle(UpdateProduct(product_id=dune.id, sku=None))

    assert cleared.sku is None
    assert catalog.store.tables.products[dune.id].sku is None


async def test_leaving_the_sku_out_keeps_it(catalog: Catalog, books: CategoryView) -> None:
    dune = await catalog.bus.handle(create(books, sku="B-1"))

    updated = await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="Dune"))

    assert updated.sku == "B-1"


async def test_taking_the_sku_of_another_product_is_refused_and_changes_nothing(
    catalog: Catalog, books: CategoryView
) -> None:
    await catalog.bus.handle(create(books, name="Dune", sku="B-1"))
    messiah = await catalog.bus.handle(create(books, name="Dune Messiah", sku="B-2"))
    events = len(catalog.published)

    with pytest.raises(DuplicateSku):
        await catalog.bus.handle(UpdateProduct(product_id=messiah.id, name="Renamed", sku="B-1"))

    assert await catalog.bus.ask(GetProductById(product_id=messiah.id)) == messiah
    assert len(catalog.published) == events


async def test_keeping_its_own_sku_is_not_a_duplicate(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, sku="B-1"))

    updated = await catalog.bus.handle(UpdateProduct(product_id=dune.id, sku="B-1", name="X"))

    assert (updated.sku, updated.name) == ("B-1", "X")


async def test_an_update_that_changes_nothing_keeps_the_version_and_publishes_nothing(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books, sku="B-1"))
    events = len(catalog.published)

    same = await catalog.bus.handle(
        UpdateProduct(product_id=dune.id, name="Dune", price="19.99", sku="B-1")
    )

    assert same == dune
    assert len(catalog.published) == events


async def test_an_update_publishes_product_updated_naming_the_changed_fields(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    await catalog.bus.handle(
        UpdateProduct(product_id=dune.id, name="Dune", description="New", price="1.00")
    )

    event = catalog.published[-1]
    assert isinstance(event, ProductUpdated)
    assert (event.product_id, event.version) == (dune.id, 2)
    assert event.changed == ("description", "price")


async def test_updating_an_unknown_product_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(ProductNotFound):
        await catalog.bus.handle(UpdateProduct(product_id=uuid.uuid4(), name="X"))


async def test_updating_a_deleted_product_is_not_found(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))
    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    with pytest.raises(ProductNotFound):
        await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="X"))


# ------------------------------------------------------------------ DeleteProduct


async def test_after_deleting_a_product_reading_it_is_not_found(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    with pytest.raises(ProductNotFound):
        await catalog.bus.ask(GetProductById(product_id=dune.id))


async def test_a_deleted_product_leaves_the_listing(catalog: Catalog, books: CategoryView) -> None:
    dune = await catalog.bus.handle(create(books, name="Dune"))
    kept = await catalog.bus.handle(create(books, name="Emma"))

    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    listed = await catalog.bus.ask(ListProducts())
    assert [p.id for p in listed.items] == [kept.id]
    assert listed.total == 1


async def test_deleting_a_product_publishes_product_deleted_with_a_new_version(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    event = catalog.published[-1]
    assert isinstance(event, ProductDeleted)
    assert (event.product_id, event.version) == (dune.id, 2)


async def test_a_deleted_product_keeps_its_row_for_the_orders_that_hold_it(
    catalog: Catalog, books: CategoryView
) -> None:
    dune = await catalog.bus.handle(create(books))

    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    assert catalog.store.tables.products[dune.id].name == "Dune"
    assert dune.id in catalog.store.tables.removed_products


@pytest.mark.parametrize("deleted_first", [False, True])
async def test_deleting_a_product_that_is_not_in_the_catalog_is_not_found(
    catalog: Catalog, books: CategoryView, deleted_first: bool
) -> None:
    product_id = uuid.uuid4()
    if deleted_first:
        product_id = (await catalog.bus.handle(create(books))).id
        await catalog.bus.handle(DeleteProduct(product_id=product_id))

    with pytest.raises(ProductNotFound):
        await catalog.bus.handle(DeleteProduct(product_id=product_id))
