"""The Stock aggregate: a product's units on hand, never below zero."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shop.domain.inventory.errors import InvalidStockLevel
from shop.domain.inventory.events import StockChanged
from shop.domain.inventory.stock import MAX_STOCK, Stock

from .fakes import T0

LATER = T0 + timedelta(minutes=1)


def test_opening_with_no_units_records_no_event() -> None:
    stock = Stock.open(uuid.uuid4(), 0, T0)
    assert (stock.on_hand, stock.version) == (0, 1)
    assert stock.pull_events() == []


def test_opening_with_units_records_the_opening_as_a_change() -> None:
    product_id = uuid.uuid4()
    stock = Stock.open(product_id, 7, T0)

    [event] = stock.pull_events()
    assert isinstance(event, StockChanged)
    assert (event.product_id, event.stock, event.delta, event.version) == (product_id, 7, 7, 1)
    assert event.reason == "opening stock"


@pytest.mark.parametrize("level", [-1, MAX_STOCK + 1, True, 1.0, "3"])
def test_opening_with_a_level_that_is_not_a_whole_count_in_range_is_refused(
    level: object,
) -> None:
    with pytest.raises(InvalidStockLevel) as refused:
        Stock.open(uuid.uuid4(), level, T0)  # type: ignore[arg-type]
    assert refused.value.field == "stock"


def test_a_stored_change_is_recorded_with_the_level_and_version_it_left() -> None:
    stock = Stock(product_id=uuid.uuid4(), on_hand=2, updated_at=LATER, version=2)

    stock.record_change(-3, "order")

    [event] = stock.pull_events()
    assert isinstance(event, StockChanged)
    assert (event.product_id, event.stock, event.delta, event.version, event.reason) == (
        stock.product_id, 2, -3, 2, "order")


def test_recording_a_change_leaves_the_stock_as_the_store_left_it() -> None:
    stock = Stock(product_id=uuid.uuid4(), on_hand=0, updated_at=LATER, version=4)

    stock.record_change(-3, "order")

    assert (stock.on_hand, stock.version, stock.updated_at) == (0, 4, LATER)
