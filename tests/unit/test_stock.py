"""The Stock aggregate: a product's units on hand, never below zero."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.inventory.errors import InsufficientStock, InvalidStockLevel
from shop.domain.inventory.events import StockChanged
from shop.domain.inventory.stock import MAX_STOCK, Stock

from .fakes import T0

LATER = T0 + timedelta(minutes=1)


def opened(on_hand: int) -> Stock:
    stock = Stock.open(uuid.uuid4(), on_hand, T0)
    stock.pull_events()
    return stock


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


def test_applying_a_change_moves_stock_bumps_the_version_and_records_it() -> None:
    stock = opened(5)

    stock.apply(-3, "order", LATER)

    assert (stock.on_hand, stock.version, stock.updated_at) == (2, 2, LATER)
    [event] = stock.pull_events()
    assert isinstance(event, StockChanged)
    assert (event.stock, event.delta, event.version, event.reason) == (2, -3, 2, "order")


def test_taking_exactly_what_is_on_hand_leaves_zero() -> None:
    stock = opened(3)
    stock.apply(-3, "order", LATER)
    assert stock.on_hand == 0


def test_taking_more_than_is_on_hand_is_refused_and_changes_nothing() -> None:
    stock = opened(2)

    with pytest.raises(InsufficientStock) as refused:
        stock.apply(-3, "order", LATER)

    assert refused.value.product_id == stock.product_id
    assert (stock.on_hand, stock.version, stock.updated_at) == (2, 1, T0)
    assert stock.pull_events() == []


def test_can_apply_says_whether_the_change_keeps_stock_non_negative() -> None:
    stock = opened(2)
    assert stock.can_apply(-2)
    assert not stock.can_apply(-3)
    assert stock.can_apply(10)


@given(
    st.integers(min_value=0, max_value=100),
    st.lists(st.integers(min_value=-50, max_value=50), max_size=30),
)
def test_stock_never_goes_negative_whatever_the_changes(start: int, deltas: list[int]) -> None:
    stock = opened(start)
    expected, accepted = start, 0
    for delta in deltas:
        if expected + delta < 0:
            with pytest.raises(InsufficientStock):
                stock.apply(delta, "adjustment", LATER)
        else:
            stock.apply(delta, "adjustment", LATER)
            expected += delta
            accepted += 1
        assert stock.on_hand >= 0
    assert stock.on_hand == expected
    assert stock.version == 1 + accepted
    events = stock.pull_events()
    assert len(events) == accepted
    assert all(isinstance(e, StockChanged) and e.stock >= 0 for e in events)
