"""Realtime pushes: committed stock and order events reach the notifier, and nothing else does."""

from __future__ import annotations

import uuid

import pytest

from shop.application.inventory.commands import AdjustStock
from shop.application.ordering.commands import CancelOrder, ShipOrder
from shop.application.shared import Principal
from shop.domain.customers.values import Role
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.ordering.errors import PaymentDeclined

from .conftest import Shopfront
from .fakes import RecordingNotifier


@pytest.fixture
def notifier(front: Shopfront) -> RecordingNotifier:
    """The notifier the fake shop's bus was built with (as the container builds the real one)."""
    return front.fake.notifier


async def test_a_committed_stock_adjustment_is_pushed_with_the_new_level_and_its_time(
    front: Shopfront, notifier: RecordingNotifier
) -> None:
    product = await front.item(stock=5)
    notifier.stock.clear()

    await front.bus.handle(AdjustStock(product_id=product.id, delta=3, reason="recount"))

    [(product_id, stock, at)] = notifier.stock
    [event] = front.published[-1:]
    assert (product_id, stock) == (product.id, 8)
    assert at == event.occurred_at


async def test_a_refused_adjustment_pushes_nothing(
    front: Shopfront, notifier: RecordingNotifier
) -> None:
    product = await front.item(stock=5)
    notifier.stock.clear()

    with pytest.raises(InsufficientStock):
        await front.bus.handle(AdjustStock(product_id=product.id, delta=-6, reason="oops"))

    assert notifier.stock == []


async def test_an_order_pushes_its_stock_change_and_each_status_it_passes_through(
    front: Shopfront, notifier: RecordingNotifier
) -> None:
    product = await front.item(stock=5)
    buyer = uuid.uuid4()
    notifier.stock.clear()

    order = await front.place(buyer, (product, 2))
    await front.bus.handle(ShipOrder(order_id=order.id))

    assert [(p, s) for p, s, _ in notifier.stock] == [(product.id, 3)]
    assert [(o, c, s) for o, c, s, _ in notifier.orders] == [
        (order.id, buyer, "Pending"), (order.id, buyer, "Paid"), (order.id, buyer, "Shipped")]


async def test_a_cancelled_order_pushes_its_status_and_the_returned_stock(
    front: Shopfront, notifier: RecordingNotifier
) -> None:
    product = await front.item(stock=5)
    buyer = uuid.uuid4()
    order = await front.place(buyer, (product, 2))
    notifier.stock.clear()
    notifier.orders.clear()

    await front.bus.handle(CancelOrder(order_id=order.id, principal=Principal(
        customer_id=buyer, role=Role.CUSTOMER)))

    assert [(o, s) for o, _, s, _ in notifier.orders] == [(order.id, "Cancelled")]
    assert [(p, s) for p, s, _ in notifier.stock] == [(product.id, 5)]


async def test_a_declined_payment_pushes_the_cancellation_and_the_returned_stock(
    front: Shopfront, notifier: RecordingNotifier
) -> None:
    product = await front.item(stock=5)
    notifier.stock.clear()

    with pytest.raises(PaymentDeclined):
        await front.place(uuid.uuid4(), (product, 1), token="tok_chargeDeclined")

    assert [s for _, _, s, _ in notifier.orders] == ["Pending", "Cancelled"]
    assert [s for _, s, _ in notifier.stock] == [4, 5]
