"""Inventory commands and queries through the bus: adjusting, setting and reading stock."""

from __future__ import annotations

import uuid

import pytest

from shop.application.catalog.queries import GetProductById
from shop.application.inventory.commands import AdjustStock, SetStock
from shop.application.inventory.queries import GetStock
from shop.domain.catalog.errors import ProductNotFound
from shop.domain.inventory.errors import InsufficientStock, InvalidStockLevel
from shop.domain.inventory.events import StockChanged
from shop.domain.inventory.stock import MAX_STOCK
from shop.domain.shared.errors import Conflict, InvalidValue

from .conftest import Shopfront


def adjust(product_id: uuid.UUID, delta: int, reason: str = "recount") -> AdjustStock:
    return AdjustStock(product_id=product_id, delta=delta, reason=reason)


# ------------------------------------------------------------------ AdjustStock


async def test_adjusting_stock_moves_it_by_the_delta(front: Shopfront) -> None:
    dune = await front.item(stock=5)

    view = await front.bus.handle(adjust(dune.id, 3, "delivery"))

    assert (view.product_id, view.stock) == (dune.id, 8)
    assert front.stock_of(dune) == 8


async def test_an_adjustment_may_take_stock_down_to_exactly_zero(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    view = await front.bus.handle(adjust(dune.id, -5, "damaged"))
    assert view.stock == 0


async def test_each_adjustment_publishes_one_stock_change(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    mark = len(front.published)

    await front.bus.handle(adjust(dune.id, -2, "  damaged  "))
    await front.bus.handle(adjust(dune.id, 4, "delivery"))

    first, second = front.published[mark:]
    assert isinstance(first, StockChanged)
    assert isinstance(second, StockChanged)
    assert (first.product_id, first.delta, first.stock, first.reason) == (dune.id, -2, 3,
                                                                          "damaged")
    assert (second.delta, second.stock, second.reason) == (4, 7, "delivery")
    assert second.version == first.version + 1 == front.store.tables.stock[dune.id].version


async def test_an_adjustment_below_zero_is_refused_and_changes_nothing(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    mark = len(front.published)

    with pytest.raises(InsufficientStock) as refused:
        await front.bus.handle(adjust(dune.id, -6))

    assert isinstance(refused.value, Conflict)  # 409
    assert front.stock_of(dune) == 5
    assert front.published[mark:] == []


async def test_an_adjustment_past_the_maximum_stock_is_refused(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    await front.bus.handle(SetStock(product_id=dune.id, stock=MAX_STOCK - 1))
    mark = len(front.published)

    with pytest.raises(InvalidValue) as refused:
        await front.bus.handle(adjust(dune.id, 2))

    assert refused.value.field == "delta"
    assert front.stock_of(dune) == MAX_STOCK - 1
    assert front.published[mark:] == []
    assert (await front.bus.handle(adjust(dune.id, 1))).stock == MAX_STOCK


async def test_a_zero_adjustment_is_refused(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(InvalidValue) as refused:
        await front.bus.handle(adjust(dune.id, 0))
    assert refused.value.field == "delta"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
async def test_an_adjustment_needs_a_reason_of_1_to_200_characters(
    front: Shopfront, reason: str
) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(InvalidValue) as refused:
        await front.bus.handle(adjust(dune.id, 1, reason))
    assert refused.value.field == "reason"
    assert front.stock_of(dune) == 5


async def test_adjusting_an_unknown_product_is_not_found(front: Shopfront) -> None:
    with pytest.raises(ProductNotFound):
        await front.bus.handle(adjust(uuid.uuid4(), 1))


async def test_adjusting_a_deleted_product_is_not_found(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    await front.discontinue(dune)

    with pytest.raises(ProductNotFound):
        await front.bus.handle(adjust(dune.id, 1))

    assert front.stock_of(dune) == 5


async def test_a_stock_change_makes_the_next_product_read_fresh(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    assert (await front.bus.ask(GetProductById(product_id=dune.id))).stock == 5  # now cached

    await front.bus.handle(adjust(dune.id, 2))

    assert (await front.bus.ask(GetProductById(product_id=dune.id))).stock == 7


# ------------------------------------------------------------------ SetStock


@pytest.mark.parametrize(("level", "delta"), [(9, 4), (2, -3), (0, -5)])
async def test_setting_stock_publishes_the_delta_it_made(
    front: Shopfront, level: int, delta: int
) -> None:
    dune = await front.item(stock=5)
    mark = len(front.published)

    view = await front.bus.handle(SetStock(product_id=dune.id, stock=level))

    assert view.stock == level == front.stock_of(dune)
    [event] = front.published[mark:]
    assert isinstance(event, StockChanged)
    assert (event.product_id, event.stock, event.delta) == (dune.id, level, delta)


async def test_setting_stock_to_its_current_level_publishes_nothing(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    mark = len(front.published)

    view = await front.bus.handle(SetStock(product_id=dune.id, stock=5))

    assert view.stock == 5
    assert front.published[mark:] == []


@pytest.mark.parametrize("level", [-1, MAX_STOCK + 1, True, 2.0])
async def test_setting_stock_to_a_level_out_of_range_is_refused(
    front: Shopfront, level: object
) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(InvalidStockLevel):
        await front.bus.handle(SetStock(product_id=dune.id, stock=level))  # type: ignore[arg-type]
    assert front.stock_of(dune) == 5


async def test_setting_stock_of_an_unknown_or_deleted_product_is_not_found(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    await front.discontinue(dune)
    for product_id in (uuid.uuid4(), dune.id):
        with pytest.raises(ProductNotFound):
            await front.bus.handle(SetStock(product_id=product_id, stock=3))
    assert front.stock_of(dune) == 5


# ------------------------------------------------------------------ GetStock


async def test_reading_stock_answers_the_level_and_when_it_last_changed(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    changed = await front.bus.handle(adjust(dune.id, -1))

    view = await front.bus.ask(GetStock(product_id=dune.id))

    assert view == changed
    assert (view.stock, view.updated_at) == (4, front.store.tables.stock[dune.id].updated_at)


async def test_reading_stock_follows_orders(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    await front.place(uuid.uuid4(), (dune, 2))
    assert (await front.bus.ask(GetStock(product_id=dune.id))).stock == 3


async def test_reading_stock_of_an_unknown_or_deleted_product_is_not_found(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    await front.discontinue(dune)
    for product_id in (uuid.uuid4(), dune.id):
        with pytest.raises(ProductNotFound):
            await front.bus.ask(GetStock(product_id=product_id))
