"""The Order aggregate: its status machine, its exact totals and the shape rules of a request."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.domain.ordering.errors import IllegalTransition
from shop.domain.ordering.events import (
    OrderCancelled,
    OrderEvent,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
)
from shop.domain.ordering.order import (
    ALLOWED,
    MAX_LINES,
    MAX_QUANTITY,
    ItemRequest,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    check_items,
)
from shop.domain.shared.errors import Conflict, InvalidValue
from shop.domain.shared.money import Money

from .fakes import T0

LATER = T0 + timedelta(minutes=5)
CUSTOMER = uuid.uuid4()

PENDING, PAID, SHIPPED, CANCELLED = (
    OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED)

LEGAL = {(PENDING, PAID), (PENDING, CANCELLED), (PAID, SHIPPED), (PAID, CANCELLED)}


def line(price: str = "10.00", quantity: int = 1, currency: str = "USD",
         name: str = "Widget") -> OrderLine:
    return OrderLine(product_id=uuid.uuid4(), product_name=name,
                     unit_price=Money.of(price, currency), quantity=quantity)


def placed(*lines: OrderLine) -> Order:
    order = Order.place(id=uuid.uuid4(), customer_id=CUSTOMER,
                        lines=list(lines) or [line()], shipping_address=None, now=T0)
    order.pull_events()
    return order


def order_in(status: OrderStatus) -> Order:
    """An order brought to `status` the only way there is: through the legal moves."""
    order = placed()
    if status in (PAID, SHIPPED):
        order.mark_paid("ch_1", T0)
    if status is SHIPPED:
        order.ship(T0)
    if status is CANCELLED:
        order.cancel("changed my mind", T0)
    order.pull_events()
    assert order.status is status
    return order


MOVES: dict[OrderStatus, Callable[[Order], None]] = {
    PAID: lambda order: order.mark_paid("ch_2", LATER),
    SHIPPED: lambda order: order.ship(LATER),
    CANCELLED: lambda order: order.cancel("requested", LATER),
}
EVENT_OF = {PAID: OrderPaid, SHIPPED: OrderShipped, CANCELLED: OrderCancelled}


# ------------------------------------------------------------------ the status machine


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(OrderStatus, repeat=2)),
                         ids=lambda s: s.value)
def test_the_transition_table_allows_exactly_the_four_legal_moves(
    current: OrderStatus, wanted: OrderStatus
) -> None:
    assert (wanted in ALLOWED[current]) == ((current, wanted) in LEGAL)


@pytest.mark.parametrize(("current", "wanted"), sorted(LEGAL), ids=lambda s: s.value)
def test_a_legal_move_changes_the_status_and_records_its_event(
    current: OrderStatus, wanted: OrderStatus
) -> None:
    order = order_in(current)
    version = order.version

    MOVES[wanted](order)

    assert (order.status, order.updated_at, order.version) == (wanted, LATER, version + 1)
    [event] = order.pull_events()
    assert type(event) is EVENT_OF[wanted]
    assert isinstance(event, OrderEvent)
    assert (event.order_id, event.customer_id, event.status) == (order.id, CUSTOMER, wanted.value)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [pair for pair in itertools.product(OrderStatus, MOVES) if pair not in LEGAL],
    ids=lambda s: s.value,
)
def test_every_other_move_is_an_illegal_transition_that_changes_nothing(
    current: OrderStatus, wanted: OrderStatus
) -> None:
    order = order_in(current)
    before = (order.status, order.updated_at, order.version, order.payment_status,
              order.payment_reference)

    with pytest.raises(IllegalTransition) as refused:
        MOVES[wanted](order)

    assert isinstance(refused.value, Conflict)  # answered 409
    assert current.value in refused.value.detail
    assert wanted.value in refused.value.detail
    assert (order.status, order.updated_at, order.version, order.payment_status,
            order.payment_reference) == before
    assert order.pull_events() == []


@pytest.mark.parametrize("status", list(OrderStatus), ids=lambda s: s.value)
def test_only_pending_and_paid_orders_can_be_cancelled(status: OrderStatus) -> None:
    assert order_in(status).can_be_cancelled is (status in (PENDING, PAID))


@pytest.mark.parametrize("status", [SHIPPED, CANCELLED], ids=lambda s: s.value)
def test_checking_an_order_past_cancelling_refuses_it_and_changes_nothing(
    status: OrderStatus,
) -> None:
    order = order_in(status)
    before = (order.status, order.version, order.updated_at)

    with pytest.raises(IllegalTransition):
        order.check_cancellable()

    assert (order.status, order.version, order.updated_at) == before
    assert order.pull_events() == []


@pytest.mark.parametrize("status", [PENDING, PAID], ids=lambda s: s.value)
def test_checking_a_cancellable_order_passes(status: OrderStatus) -> None:
    order_in(status).check_cancellable()


def test_a_cancelled_order_whose_refund_failed_awaits_it_holding_the_charge() -> None:
    order = order_in(PAID)
    order.cancel("requested", LATER, payment_status=PaymentStatus.REFUND_PENDING)
    order.pull_events()
    version = order.version

    order.await_refund("ch_9")
    order.await_refund("ch_9")  # a second failure changes nothing more

    assert (order.payment_status, order.payment_reference) == (
        PaymentStatus.REFUND_PENDING, "ch_9")
    assert order.is_awaiting_refund_of("ch_9")
    assert order.version == version + 1
    assert order.pull_events() == []


@pytest.mark.parametrize("status", [PENDING, PAID, SHIPPED], ids=lambda s: s.value)
def test_only_a_cancelled_order_can_await_a_refund(status: OrderStatus) -> None:
    with pytest.raises(IllegalTransition):
        order_in(status).await_refund("ch_9")


def test_paying_captures_the_payment_with_its_reference() -> None:
    order = placed()
    assert (order.payment_status, order.payment_reference) == (PaymentStatus.PENDING, None)

    order.mark_paid("ch_42", LATER)

    assert (order.payment_status, order.payment_reference) == (PaymentStatus.CAPTURED, "ch_42")
    [event] = order.pull_events()
    assert isinstance(event, OrderPaid)
    assert event.payment_reference == "ch_42"


def test_cancelling_records_the_reason_and_the_payment_outcome_when_given() -> None:
    order = placed()
    order.cancel("payment declined", LATER, payment_status=PaymentStatus.DECLINED)

    assert order.payment_status is PaymentStatus.DECLINED
    [event] = order.pull_events()
    assert isinstance(event, OrderCancelled)
    assert event.reason == "payment declined"


def test_cancelling_without_a_payment_outcome_keeps_the_payment_as_it_was() -> None:
    order = order_in(PAID)
    order.cancel("requested", LATER)
    assert (order.payment_status, order.payment_reference) == (PaymentStatus.CAPTURED, "ch_1")


ACTIONS = st.lists(st.sampled_from(sorted(MOVES)), max_size=8)


@given(ACTIONS)
def test_any_sequence_of_moves_follows_a_legal_path_and_records_one_event_per_move(
    attempts: list[OrderStatus],
) -> None:
    order = placed()
    path = [PENDING]
    for wanted in attempts:
        try:
            MOVES[wanted](order)
        except IllegalTransition:
            assert wanted not in ALLOWED[path[-1]]
        else:
            path.append(wanted)
    assert all(pair in LEGAL for pair in itertools.pairwise(path))
    assert order.status is path[-1]
    assert order.version == len(path)
    assert [type(e) for e in order.pull_events()] == [EVENT_OF[s] for s in path[1:]]


# ------------------------------------------------------------------ placing and totals


def test_a_placed_order_is_pending_and_records_what_was_bought() -> None:
    first, second = line("19.99", 2, name="Dune"), line("5.00", 1, name="Emma")
    order = Order.place(id=uuid.uuid4(), customer_id=CUSTOMER, lines=[first, second],
                        shipping_address=None, now=T0)

    assert (order.status, order.currency, order.created_at, order.updated_at) == (
        PENDING, "USD", T0, T0)
    assert (order.payment_status, order.version) == (PaymentStatus.PENDING, 1)
    [event] = order.pull_events()
    assert isinstance(event, OrderPlaced)
    assert (event.order_id, event.customer_id, event.status) == (order.id, CUSTOMER, "Pending")
    assert (event.total, event.currency) == ("44.98", "USD")
    assert event.lines[0] == {"product_id": str(first.product_id), "product_name": "Dune",
                              "unit_price": "19.99", "quantity": 2, "line_total": "39.98"}


def test_totals_are_exact_in_decimal() -> None:
    order = placed(line("0.10", 3), line("0.20", 1), line("0.01", 1000))

    assert [str(each.line_total.amount) for each in order.lines] == ["0.30", "0.20", "10.00"]
    assert order.total == Money.of("10.50")
    assert isinstance(order.total.amount, Decimal)
    assert str(order.total.amount) == "10.50"


@given(st.lists(st.tuples(st.integers(0, 10**8), st.integers(1, MAX_QUANTITY)),
                min_size=1, max_size=20))
def test_the_total_is_the_exact_sum_of_price_times_quantity(
    lines: list[tuple[int, int]],
) -> None:
    order = placed(*(line(str(Money.from_minor_units(cents).amount), q) for cents, q in lines))
    assert order.total.minor_units == sum(cents * q for cents, q in lines)
    assert order.total.amount == sum((Decimal(cents) / 100 * q for cents, q in lines),
                                     Decimal(0))


def test_the_order_takes_the_currency_of_its_lines() -> None:
    order = placed(line("3.00", currency="EUR"), line("4.00", currency="EUR"))
    assert (order.currency, order.total) == ("EUR", Money.of("7.00", "EUR"))


def test_lines_in_more_than_one_currency_are_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        Order.place(id=uuid.uuid4(), customer_id=CUSTOMER,
                    lines=[line(currency="USD"), line(currency="EUR")],
                    shipping_address=None, now=T0)
    assert refused.value.field == "items"


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(InvalidValue):
        Order.place(id=uuid.uuid4(), customer_id=CUSTOMER, lines=[], shipping_address=None,
                    now=T0)


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, True, 1.0, "2"])
def test_a_line_needs_a_whole_quantity_from_1_to_1000(quantity: object) -> None:
    with pytest.raises(InvalidValue):
        line(quantity=quantity)  # type: ignore[arg-type]


# ------------------------------------------------------------------ check_items


def items(*quantities: object) -> list[ItemRequest]:
    return [ItemRequest(uuid.uuid4(), q) for q in quantities]  # type: ignore[arg-type]


def test_a_request_of_1_to_100_lines_of_1_to_1000_units_passes() -> None:
    check_items(items(1))
    check_items(items(*([MAX_QUANTITY] * MAX_LINES)))


def test_a_request_without_lines_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        check_items([])
    assert refused.value.field == "items"


def test_a_request_of_more_than_100_lines_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        check_items(items(*([1] * (MAX_LINES + 1))))
    assert refused.value.field == "items"


@pytest.mark.parametrize("quantity", [0, MAX_QUANTITY + 1, -3, 2.5, 1.0, "1", True, None])
def test_a_quantity_that_is_not_a_whole_number_from_1_to_1000_is_refused(
    quantity: object,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_items(items(1, quantity))
    assert refused.value.field == "items[1].quantity"


def test_a_product_may_appear_only_once() -> None:
    product = uuid.uuid4()
    with pytest.raises(InvalidValue) as refused:
        check_items([ItemRequest(product, 1), ItemRequest(uuid.uuid4(), 1),
                     ItemRequest(product, 2)])
    assert refused.value.field == "items[2].product_id"
