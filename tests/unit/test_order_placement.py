"""Placing an order through the bus: the saga of reservation, charge and settlement."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest

from shop.application.catalog.commands import UpdateProduct
from shop.application.customers.commands import RegisterCustomer, UpdateProfile
from shop.application.inventory.commands import AdjustStock
from shop.application.ordering import placing
from shop.application.ordering.commands import CancelOrder, ShipOrder
from shop.application.shared import AddressInput, AddressView
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.inventory.events import StockChanged
from shop.domain.ordering.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentUnavailable,
    UnknownProduct,
)
from shop.domain.ordering.events import OrderCancelled, OrderPaid, OrderPlaced
from shop.domain.ordering.order import ItemRequest, OrderStatus, PaymentStatus
from shop.domain.shared.errors import Conflict, InvalidValue, UnknownReference
from shop.domain.shared.money import Money

from .conftest import Shopfront, admin

ANN = uuid.uuid4()
BOB = uuid.uuid4()
DECLINING_TOKENS = ["tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds", "tok_amex_fake"]


def published_since(front: Shopfront, mark: int) -> list[str]:
    return [event.type_name for event in front.published[mark:]]


def cancel_while_charging(front: Shopfront) -> None:
    """While the next charge is in flight, an admin cancels its order (a concurrent request)."""

    async def cancel_meanwhile(key: str) -> None:
        front.gateway.on_charge = None
        await front.bus.handle(CancelOrder(order_id=uuid.UUID(key), principal=admin()))

    front.gateway.on_charge = cancel_meanwhile


# ------------------------------------------------------------------ success


async def test_a_paid_order_answers_paid_with_the_captured_charge(front: Shopfront) -> None:
    dune = await front.item("19.99", stock=5, name="Dune")
    emma = await front.item("5.00", stock=3, name="Emma")

    order = await front.place(ANN, (dune, 2), (emma, 1))

    assert (order.status, order.customer_id, order.currency) == ("Paid", ANN, "USD")
    assert order.total == Decimal("44.98")
    assert [(x.product_name, x.unit_price, x.quantity, x.line_total) for x in order.lines] == [
        ("Dune", Decimal("19.99"), 2, Decimal("39.98")),
        ("Emma", Decimal("5.00"), 1, Decimal("5.00")),
    ]
    charge = front.gateway.charge_for(order.id)
    assert charge is not None
    assert (order.payment.status, order.payment.reference) == ("captured", charge.reference)
    assert front.order(order.id).status is OrderStatus.PAID


async def test_placing_an_order_moves_the_stock_of_every_line(front: Shopfront) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=3)

    await front.place(ANN, (dune, 2), (emma, 3))

    assert (front.stock_of(dune), front.stock_of(emma)) == (3, 0)


async def test_the_charge_is_the_order_total_keyed_by_the_order_id(front: Shopfront) -> None:
    dune = await front.item("0.10", stock=10)

    order = await front.place(ANN, (dune, 3))

    charge = front.gateway.charge_for(order.id)
    assert charge is not None
    assert charge.amount == Money.of("0.30")
    assert front.gateway.charge_calls == [str(order.id)]


async def test_prices_are_taken_from_the_catalog_at_the_moment_of_the_order(
    front: Shopfront,
) -> None:
    dune = await front.item("19.99")
    await front.bus.handle(UpdateProduct(product_id=dune.id, price="24.50"))

    order = await front.place(ANN, (dune, 1))
    await front.bus.handle(UpdateProduct(product_id=dune.id, price="99.00", name="Renamed"))

    assert (order.lines[0].unit_price, order.total) == (Decimal("24.50"), Decimal("24.50"))
    kept = front.order(order.id).lines[0]
    assert (kept.unit_price, kept.product_name) == (Money.of("24.50"), dune.name)


async def test_placing_an_order_publishes_order_placed_a_stock_change_per_line_then_order_paid(
    front: Shopfront,
) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=4)
    mark = len(front.published)

    order = await front.place(ANN, (dune, 2), (emma, 1))

    events = front.published[mark:]
    assert Counter(e.type_name for e in events) == {"OrderPlaced": 1, "StockChanged": 2,
                                                    "OrderPaid": 1}
    assert events[-1].type_name == "OrderPaid"
    changes = {(e.product_id, e.delta, e.stock) for e in events if isinstance(e, StockChanged)}
    assert changes == {(dune.id, -2, 3), (emma.id, -1, 3)}
    placed = next(e for e in events if isinstance(e, OrderPlaced))
    paid = events[-1]
    assert isinstance(paid, OrderPaid)
    assert (placed.order_id, paid.order_id) == (order.id, order.id)
    assert paid.payment_reference == order.payment.reference
    assert front.store.outbox[-len(events):] == events


async def test_an_order_ships_to_the_profile_address_when_the_request_names_none(
    front: Shopfront,
) -> None:
    ann = await front.bus.handle(RegisterCustomer(email="ann@example.com", password="secret12",
                                                  full_name="Ann"))
    await front.bus.handle(UpdateProfile(customer_id=ann.id, shipping_address=AddressInput(
        line1="1 Main St", city="Springfield", postal_code="12345", country="us")))
    dune = await front.item()

    order = await front.place(ann.id, (dune, 1))

    assert order.shipping_address == AddressView(line1="1 Main St", line2=None,
                                                 city="Springfield", postal_code="12345",
                                                 country="US")


async def test_an_address_given_with_the_order_wins_over_the_profile(front: Shopfront) -> None:
    dune = await front.item()
    command = replace(front.place_order(ANN, (dune, 1)), shipping_address=AddressInput(
        line1="2 Side St", city="Paris", postal_code="75001", country="FR"))

    order = await front.bus.handle(command)

    assert order.shipping_address is not None
    assert (order.shipping_address.city, order.shipping_address.country) == ("Paris", "FR")


# ------------------------------------------------------------------ refused before paying


async def test_placing_an_order_without_stock_for_the_second_line_reserves_nothing(
    front: Shopfront,
) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=1)
    mark = len(front.published)

    with pytest.raises(InsufficientStock) as refused:
        await front.place(ANN, (dune, 2), (emma, 2))

    assert isinstance(refused.value, Conflict)  # 409
    assert refused.value.product_id == emma.id
    assert (front.stock_of(dune), front.stock_of(emma)) == (5, 1)
    assert front.orders() == []
    assert front.gateway.charge_calls == []
    assert published_since(front, mark) == []


async def test_an_order_for_exactly_the_stock_left_empties_it(front: Shopfront) -> None:
    dune = await front.item(stock=4)
    await front.place(ANN, (dune, 4))
    assert front.stock_of(dune) == 0
    with pytest.raises(InsufficientStock):
        await front.place(BOB, (dune, 1))


async def test_an_unknown_product_is_refused_and_reserves_nothing(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    ghost = uuid.uuid4()
    command = front.place_order(ANN, (dune, 1))
    command = replace(command, items=(*command.items, ItemRequest(ghost, 1)))

    with pytest.raises(UnknownProduct) as refused:
        await front.bus.handle(command)

    assert isinstance(refused.value, UnknownReference)  # 404/422
    assert refused.value.field == "items[1].product_id"
    assert front.stock_of(dune) == 5
    assert front.orders() == []
    assert front.gateway.charge_calls == []


async def test_a_deleted_product_can_no_longer_be_ordered(front: Shopfront) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=5)
    await front.discontinue(emma)

    with pytest.raises(UnknownProduct):
        await front.place(ANN, (dune, 1), (emma, 1))

    assert front.stock_of(dune) == 5
    assert front.orders() == []


async def test_products_priced_in_different_currencies_cannot_share_an_order(
    front: Shopfront,
) -> None:
    dune = await front.item(currency="USD", stock=5)
    emma = await front.item(currency="EUR", stock=5)

    with pytest.raises(InvalidValue) as refused:
        await front.place(ANN, (dune, 1), (emma, 1))

    assert refused.value.field == "items"
    assert (front.stock_of(dune), front.stock_of(emma)) == (5, 5)
    assert front.orders() == []
    assert front.gateway.charge_calls == []


@pytest.mark.parametrize("quantities", [(), (0,), (1001,), (1, 1)])
async def test_a_malformed_request_is_refused_before_any_transaction(
    front: Shopfront, quantities: tuple[int, ...]
) -> None:
    dune = await front.item(stock=5)
    commits = front.store.commits
    lines = [(dune, q) for q in quantities]  # (1, 1): the same product twice

    with pytest.raises(InvalidValue):
        await front.place(ANN, *lines)

    assert front.store.commits == commits
    assert front.stock_of(dune) == 5


# ------------------------------------------------------------------ declined


@pytest.mark.parametrize("token", DECLINING_TOKENS)
async def test_a_declined_card_raises_payment_declined(front: Shopfront, token: str) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), token=token)


async def test_a_declined_order_is_kept_cancelled_with_the_payment_declined(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)

    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), token="tok_chargeDeclined")

    order = front.the_order()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.DECLINED)
    assert order.payment_reference is None


async def test_a_declined_order_returns_every_unit_it_reserved(front: Shopfront) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=2)

    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), (emma, 2), token="tok_chargeDeclined")

    assert (front.stock_of(dune), front.stock_of(emma)) == (5, 2)
    assert front.gateway.charges == {}


async def test_a_declined_order_still_announces_what_it_committed(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    mark = len(front.published)

    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), token="tok_chargeDeclined")

    assert Counter(published_since(front, mark)) == {"OrderPlaced": 1, "StockChanged": 2,
                                                     "OrderCancelled": 1}
    deltas = [e.delta for e in front.published[mark:] if isinstance(e, StockChanged)]
    assert sorted(deltas) == [-2, 2]
    [cancelled] = [e for e in front.published[mark:] if isinstance(e, OrderCancelled)]
    assert cancelled.reason == "payment declined"


# ------------------------------------------------------------------ provider failing


async def test_a_failing_provider_cancels_the_order_as_failed_and_returns_the_stock(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)

    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2), token="tok_processingError")

    order = front.the_order()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
    assert front.stock_of(dune) == 5
    assert front.gateway.charges == {}
    assert front.gateway.find_calls == [str(order.id)]  # it asked before giving up


async def test_a_charge_that_never_answers_and_took_nothing_cancels_the_order(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    front.gateway.hang_before_capture = True

    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2))

    order = front.the_order()
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
    assert front.stock_of(dune) == 5


async def test_a_timed_out_charge_that_went_through_anyway_leaves_the_order_paid(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    front.gateway.hang_after_capture = True

    order = await front.place(ANN, (dune, 2))

    charge = front.gateway.charge_for(order.id)
    assert charge is not None
    assert (order.status, order.payment.reference) == ("Paid", charge.reference)
    assert front.stock_of(dune) == 3
    assert len(front.gateway.charges) == 1


async def test_a_charge_that_failed_after_taking_the_money_leaves_the_order_paid(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    front.gateway.fail_after_capture = True

    order = await front.place(ANN, (dune, 2))

    assert order.status == "Paid"
    assert front.stock_of(dune) == 3


async def test_when_even_find_charge_fails_the_order_stays_pending_with_its_stock(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    front.gateway.hang_after_capture = True
    front.gateway.find_charge_unreachable = True
    mark = len(front.published)

    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2))

    order = front.the_order()
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.PENDING)
    assert front.stock_of(dune) == 3
    assert Counter(published_since(front, mark)) == {"OrderPlaced": 1, "StockChanged": 1}


# ------------------------------------------------------------------ concurrent cancellation


async def test_a_decline_after_the_customer_cancelled_returns_the_stock_only_once(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)

    cancel_while_charging(front)
    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), token="tok_chargeDeclined")

    assert front.the_order().status is OrderStatus.CANCELLED
    assert front.stock_of(dune) == 5


async def test_a_charge_captured_after_the_order_was_cancelled_is_refunded(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)

    cancel_while_charging(front)
    order = await front.place(ANN, (dune, 2))

    assert order.status == "Cancelled"
    assert front.stock_of(dune) == 5
    refunds = front.gateway.refunds_of(order.id)
    assert len(refunds) == 1
    assert refunds[0].amount == Money.of(str(order.total))


async def test_a_charge_refunded_because_the_order_was_cancelled_meanwhile_is_recorded(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)

    cancel_while_charging(front)
    order = await front.place(ANN, (dune, 2))

    assert len(front.gateway.refunds_of(order.id)) == 1
    assert front.order(order.id).payment_status is PaymentStatus.REFUNDED


# ------------------------------------------------------------------ idempotency


async def test_the_same_key_and_body_answer_the_same_order_with_no_second_charge(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    first = await front.place(ANN, (dune, 2), key="k-1")
    mark = len(front.published)

    again = await front.place(ANN, (dune, 2), key="k-1")

    assert again == first
    assert front.gateway.charge_calls == [str(first.id)]
    assert front.stock_of(dune) == 3
    assert len(front.orders()) == 1
    assert published_since(front, mark) == []


async def test_the_same_key_with_another_body_is_refused(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    await front.place(ANN, (dune, 2), key="k-1", fingerprint="body-1")

    with pytest.raises(IdempotencyKeyReused) as refused:
        await front.place(ANN, (dune, 1), key="k-1", fingerprint="body-2")

    assert isinstance(refused.value, Conflict)
    assert front.stock_of(dune) == 3
    assert len(front.orders()) == 1
    assert len(front.gateway.charge_calls) == 1


async def test_a_replayed_declined_order_is_declined_again_without_a_second_attempt(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), key="k-1", token="tok_chargeDeclined")

    with pytest.raises(PaymentDeclined):
        await front.place(ANN, (dune, 2), key="k-1", token="tok_chargeDeclined")

    assert len(front.orders()) == 1
    assert len(front.gateway.charge_calls) == 1
    assert front.stock_of(dune) == 5


async def test_a_replayed_failed_order_fails_again_without_a_second_attempt(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2), key="k-1", token="tok_processingError")

    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2), key="k-1", token="tok_processingError")

    assert len(front.orders()) == 1
    assert len(front.gateway.charge_calls) == 1


async def test_idempotency_keys_belong_to_one_customer(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    anns = await front.place(ANN, (dune, 1), key="shared")

    bobs = await front.place(BOB, (dune, 1), key="shared")

    assert bobs.id != anns.id
    assert (bobs.customer_id, front.stock_of(dune)) == (BOB, 3)
    assert len(front.gateway.charges) == 2


async def test_a_key_whose_request_found_no_stock_can_be_used_again(front: Shopfront) -> None:
    dune = await front.item(stock=1)
    with pytest.raises(InsufficientStock):
        await front.place(ANN, (dune, 2), key="k-1")
    await front.bus.handle(AdjustStock(product_id=dune.id, delta=5, reason="delivery"))

    order = await front.place(ANN, (dune, 2), key="k-1")

    assert order.status == "Paid"
    assert front.stock_of(dune) == 4


async def test_a_replay_of_an_order_left_pending_answers_it_after_waiting(
    front: Shopfront, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(placing, "IDEMPOTENT_REPLAY_WAIT_SECONDS", 0.1)
    dune = await front.item(stock=5)
    front.gateway.hang_after_capture = front.gateway.find_charge_unreachable = True
    with pytest.raises(PaymentUnavailable):
        await front.place(ANN, (dune, 2), key="k-1")

    again = await front.place(ANN, (dune, 2), key="k-1")

    assert (again.id, again.status) == (front.the_order().id, "Pending")
    assert len(front.gateway.charge_calls) == 1
    assert front.stock_of(dune) == 3


async def test_a_replay_answers_the_order_as_it_is_now(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    first = await front.place(ANN, (dune, 1), key="k-1")
    await front.bus.handle(ShipOrder(order_id=first.id))

    again = await front.place(ANN, (dune, 1), key="k-1")

    assert (again.id, again.status) == (first.id, "Shipped")
