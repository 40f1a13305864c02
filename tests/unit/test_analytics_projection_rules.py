"""The rules the analytics projections follow, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.application.analytics.figures import ProjectionFigures, SalesFigures
from shop.application.analytics.query_handlers import _average
from shop.application.analytics.tracked_order import (
    CANCELLED,
    PAID,
    PENDING,
    SHIPPED,
    Placement,
    TrackedLine,
    TrackedOrder,
    change_between,
)
from shop.application.analytics.window import SalesWindow
from shop.domain.shared.errors import InvalidParameter

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
PRODUCT = uuid.uuid4()
PLACEMENT = Placement(placed_at=NOW, currency="USD", total_minor=2590,
                      lines=(TrackedLine(PRODUCT, 2, 2000), TrackedLine(uuid.uuid4(), 1, 590)))

LIVES = [
    [PENDING, PAID],
    [PENDING, PAID, SHIPPED],
    [PENDING, PAID, CANCELLED],
    [PENDING, CANCELLED],
]


def follow(events: list[str | Placement]) -> TrackedOrder:
    order = TrackedOrder.unseen(uuid.uuid4())
    for event in events:
        order = order.placed(event) if isinstance(event, Placement) else order.moved_to(event)
    return order


@given(st.sampled_from(LIVES).flatmap(
    lambda life: st.permutations([PLACEMENT, *life]).map(lambda events: (life, events))))
def test_an_orders_events_in_any_order_leave_it_in_its_last_status(
    life_and_events: tuple[list[str], list[str | Placement]]
) -> None:
    life, events = life_and_events
    order = follow(events)
    assert order.status == life[-1]
    assert order.placement == PLACEMENT


def test_only_paid_and_shipped_orders_count_as_revenue() -> None:
    day = NOW.date()
    for status in (PAID, SHIPPED):
        figures = TrackedOrder(uuid.uuid4(), status, PLACEMENT).contribution()
        assert figures.sales == {(day, "USD"): SalesFigures(2590, 1, 3)}
        assert figures.product_sales[(day, PRODUCT, "USD")].revenue_minor == 2000
    for status in (PENDING, CANCELLED):
        figures = TrackedOrder(uuid.uuid4(), status, PLACEMENT).contribution()
        assert figures.sales == {} and figures.product_sales == {}
        assert figures.statuses == {(day, status): 1}


def test_a_refunded_order_takes_its_revenue_back() -> None:
    paid = TrackedOrder(uuid.uuid4(), PAID, PLACEMENT)
    change = change_between(paid, paid.moved_to(CANCELLED))
    assert change.sales == {(NOW.date(), "USD"): SalesFigures(-2590, -1, -3)}
    assert change.statuses == {(NOW.date(), PAID): -1, (NOW.date(), CANCELLED): 1}
    assert (paid.contribution() + change) == paid.moved_to(CANCELLED).contribution()


def test_a_status_without_its_placement_adds_nothing_yet() -> None:
    assert TrackedOrder.unseen(uuid.uuid4()).moved_to(PAID).contribution() == ProjectionFigures()


def test_the_default_window_is_the_last_30_days_with_today() -> None:
    window = SalesWindow.resolve(None, None, NOW)
    assert window.end == datetime(2026, 11, 24, tzinfo=UTC)
    assert window.end - window.start == timedelta(days=30)
    assert window.days[-1] == date(2026, 11, 23) and len(window.days) == 30
    assert window.partial_spans == []


def test_a_window_with_timestamp_edges_has_partial_days() -> None:
    window = SalesWindow.resolve(NOW, NOW + timedelta(days=2), NOW)
    assert window.whole_days == (date(2026, 11, 24), date(2026, 11, 24))
    assert window.partial_spans == [(NOW, datetime(2026, 11, 24, tzinfo=UTC)),
                                    (datetime(2026, 11, 25, tzinfo=UTC), NOW + timedelta(days=2))]
    inside_one_day = SalesWindow.resolve(NOW, NOW + timedelta(hours=1), NOW)
    assert inside_one_day.whole_days is None
    assert inside_one_day.days == [date(2026, 11, 23)]


@pytest.mark.parametrize(("start", "end"), [
    (NOW, NOW),
    (NOW, NOW - timedelta(seconds=1)),
    (NOW - timedelta(days=366, seconds=1), NOW),
])
def test_a_reversed_empty_or_overlong_window_is_refused(start: datetime, end: datetime) -> None:
    with pytest.raises(InvalidParameter):
        SalesWindow.resolve(start, end, NOW)


@pytest.mark.parametrize(("revenue", "orders", "average"), [
    (0, 0, "0.00"), (1000, 3, "3.33"), (2000, 3, "6.67"), (5, 2, "0.02"), (7, 2, "0.04"),
])
def test_the_average_order_value_rounds_half_to_even_exactly(
    revenue: int, orders: int, average: str
) -> None:
    assert str(_average(revenue, orders, "USD").amount) == average
