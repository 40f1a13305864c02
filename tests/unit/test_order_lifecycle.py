"""After an order is placed: cancelling, shipping and settling what a crash left Pending."""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter

import pytest

from shop.application.catalog.views import ProductView
from shop.application.ordering.commands import CancelOrder, SettlePendingOrders, ShipOrder
from shop.application.ordering.views import OrderView
from shop.domain.inventory.events import StockChanged
from shop.domain.ordering.errors import IllegalTransition, OrderNotFound, PaymentUnavailable
from shop.domain.ordering.events import OrderCancelled, OrderShipped
from shop.domain.ordering.order import Order, OrderStatus, PaymentStatus
from shop.domain.shared.errors import NotFound
from shop.domain.shared.money import Money

from .conftest import Shopfront, admin, customer

ANN = customer()
BOB = customer()
ADMIN = admin()


async def paid_order(front: Shopfront, *lines: tuple[ProductView, int]) -> OrderView:
    order = await front.place(ANN.customer_id, *lines)
    assert order.status == "Paid"
    return order


async def pending_order(front: Shopfront, *lines: tuple[ProductView, int],
                        charged: bool) -> Order:
    """An order whose payment outcome was unknown when it was placed: it stays Pending."""
    front.gateway.find_charge_unreachable = True
    if charged:
        front.gateway.hang_after_capture = True
    with pytest.raises(PaymentUnavailable):
        await front.place(ANN.customer_id, *lines,
                          token="tok_visa" if charged else "tok_processingError")
    front.gateway.find_charge_unreachable = front.gateway.hang_after_capture = False
    [order] = [o for o in front.orders() if o.status is OrderStatus.PENDING]
    assert (front.gateway.charge_for(order.id) is not None) is charged
    return order


async def shipped_order(front: Shopfront, *lines: tuple[ProductView, int]) -> OrderView:
    order = await paid_order(front, *lines)
    return await front.bus.handle(ShipOrder(order_id=order.id))


async def cancelled_order(front: Shopfront, *lines: tuple[ProductView, int]) -> OrderView:
    order = await paid_order(front, *lines)
    return await front.bus.handle(CancelOrder(order_id=order.id, principal=ANN))


def cancel(order_id: uuid.UUID, principal: object = ANN) -> CancelOrder:
    return CancelOrder(order_id=order_id, principal=principal)  # type: ignore[arg-type]


# ------------------------------------------------------------------ cancelling


async def test_cancelling_a_paid_order_restores_its_stock(front: Shopfront) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=5)
    order = await paid_order(front, (dune, 2), (emma, 5))

    cancelled = await front.bus.handle(cancel(order.id))

    assert cancelled.status == "Cancelled"
    assert (front.stock_of(dune), front.stock_of(emma)) == (5, 5)


async def test_cancelling_a_paid_order_refunds_the_charge_exactly_once(front: Shopfront) -> None:
    dune = await front.item("12.50", stock=5)
    order = await paid_order(front, (dune, 2))

    cancelled = await front.bus.handle(cancel(order.id))

    [refund] = front.gateway.refunds_of(order.id)
    assert refund.amount == Money.of("25.00")
    assert refund.reference == order.payment.reference
    assert (cancelled.payment.status, cancelled.payment.reference) == (
        "refunded", order.payment.reference)
    assert len(front.gateway.refunds) == 1


async def test_cancelling_publishes_order_cancelled_and_a_stock_change_per_line(
    front: Shopfront,
) -> None:
    dune, emma = await front.item(stock=5), await front.item(stock=5)
    order = await paid_order(front, (dune, 2), (emma, 1))
    mark = len(front.published)

    await front.bus.handle(cancel(order.id))

    events = front.published[mark:]
    assert Counter(e.type_name for e in events) == {"OrderCancelled": 1, "StockChanged": 2}
    assert {(e.product_id, e.delta, e.stock) for e in events if isinstance(e, StockChanged)} == {
        (dune.id, 2, 5), (emma.id, 1, 5)}
    [event] = [e for e in events if isinstance(e, OrderCancelled)]
    assert (event.order_id, event.status) == (order.id, "Cancelled")


async def test_cancelling_a_pending_order_restores_its_stock_without_a_refund(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=False)
    assert front.stock_of(dune) == 3

    cancelled = await front.bus.handle(cancel(order.id))

    assert cancelled.status == "Cancelled"
    assert front.stock_of(dune) == 5
    assert front.gateway.refund_calls == []


async def test_cancelling_a_shipped_order_is_an_illegal_transition(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await shipped_order(front, (dune, 2))
    mark = len(front.published)

    with pytest.raises(IllegalTransition):
        await front.bus.handle(cancel(order.id))

    assert front.order(order.id).status is OrderStatus.SHIPPED
    assert front.stock_of(dune) == 3
    assert front.gateway.refund_calls == []
    assert front.published[mark:] == []


async def test_cancelling_a_cancelled_order_again_is_refused_and_moves_no_stock(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await cancelled_order(front, (dune, 2))
    mark = len(front.published)

    with pytest.raises(IllegalTransition):
        await front.bus.handle(cancel(order.id))

    assert front.stock_of(dune) == 5
    assert len(front.gateway.refunds_of(order.id)) == 1
    assert front.published[mark:] == []


async def test_a_customer_cannot_cancel_another_customers_order(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))

    with pytest.raises(OrderNotFound) as refused:
        await front.bus.handle(cancel(order.id, BOB))

    assert isinstance(refused.value, NotFound)  # 404, never 403: its existence is not told
    assert front.order(order.id).status is OrderStatus.PAID
    assert front.stock_of(dune) == 3
    assert front.gateway.refund_calls == []


async def test_an_admin_may_cancel_any_order(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))

    cancelled = await front.bus.handle(cancel(order.id, ADMIN))

    assert cancelled.status == "Cancelled"
    assert front.stock_of(dune) == 5
    assert len(front.gateway.refunds_of(order.id)) == 1


async def test_cancelling_an_unknown_order_is_not_found(front: Shopfront) -> None:
    with pytest.raises(OrderNotFound):
        await front.bus.handle(cancel(uuid.uuid4(), ADMIN))


async def test_when_the_refund_fails_the_order_is_cancelled_with_its_refund_pending(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    front.gateway.refund_unreachable = True

    cancelled = await front.bus.handle(cancel(order.id))

    assert (cancelled.status, cancelled.payment.status) == ("Cancelled", "refund_pending")
    assert cancelled.payment.reference == order.payment.reference
    assert front.order(order.id).payment_status is PaymentStatus.REFUND_PENDING
    assert front.stock_of(dune) == 5
    assert front.gateway.refunds == {}


async def test_settling_refunds_a_cancelled_order_whose_refund_failed_exactly_once(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    front.gateway.refund_unreachable = True
    await front.bus.handle(cancel(order.id))
    front.gateway.refund_unreachable = False

    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 1
    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 0

    stored = front.order(order.id)
    assert (stored.status, stored.payment_status) == (OrderStatus.CANCELLED,
                                                      PaymentStatus.REFUNDED)
    [refund] = front.gateway.refunds_of(order.id)
    assert refund.amount == Money.of(str(order.total))
    assert front.stock_of(dune) == 5


async def test_settling_keeps_a_refund_pending_while_refunds_still_fail(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    front.gateway.refund_unreachable = True
    await front.bus.handle(cancel(order.id))

    await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    assert front.order(order.id).payment_status is PaymentStatus.REFUND_PENDING
    assert front.gateway.refunds == {}


async def test_settling_does_not_count_a_refund_that_failed_again(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    front.gateway.refund_unreachable = True
    await front.bus.handle(cancel(order.id))

    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 0


async def test_cancelling_a_pending_order_whose_charge_went_through_refunds_it(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)

    cancelled = await front.bus.handle(cancel(order.id))

    charge = front.gateway.charge_for(order.id)
    assert charge is not None
    assert (cancelled.status, cancelled.payment.status) == ("Cancelled", "refunded")
    assert cancelled.payment.reference == charge.reference
    assert [r.amount for r in front.gateway.refunds_of(order.id)] == [charge.amount]
    assert front.stock_of(dune) == 5


async def test_a_pending_order_cannot_be_cancelled_while_the_gateway_cannot_tell_if_it_paid(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)
    front.gateway.find_charge_unreachable = True

    with pytest.raises(PaymentUnavailable):
        await front.bus.handle(cancel(order.id))

    assert front.order(order.id).status is OrderStatus.PENDING
    assert front.stock_of(dune) == 3


async def test_a_charged_pending_order_cancelled_while_refunds_fail_is_refunded_later(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)
    front.gateway.refund_unreachable = True
    await front.bus.handle(cancel(order.id))
    front.gateway.refund_unreachable = False

    await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    assert front.order(order.id).payment_status is PaymentStatus.REFUNDED
    assert len(front.gateway.refunds_of(order.id)) == 1


async def test_cancelling_returns_the_stock_of_a_product_deleted_since(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    await front.discontinue(dune)

    await front.bus.handle(cancel(order.id))

    assert front.stock_of(dune) == 5


async def test_cancelling_an_order_pending_on_an_unknown_payment_never_keeps_the_money(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)

    with contextlib.suppress(PaymentUnavailable):  # refusing while unknown would be fine
        await front.bus.handle(cancel(order.id))
    await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    status = front.order(order.id).status
    refunded = len(front.gateway.refunds_of(order.id)) == 1
    assert status in (OrderStatus.PAID, OrderStatus.PENDING) or refunded


async def test_an_order_being_cancelled_cannot_be_shipped_meanwhile(
    front: Shopfront,
) -> None:
    """Cancel first, refund after: a ship racing the refund finds the order Cancelled."""
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    shipping: list[BaseException] = []

    async def ship_meanwhile(key: str) -> None:
        front.gateway.on_refund = None
        try:
            await front.bus.handle(ShipOrder(order_id=order.id))
        except IllegalTransition as refused:
            shipping.append(refused)

    front.gateway.on_refund = ship_meanwhile
    await front.bus.handle(cancel(order.id))

    assert len(shipping) == 1
    assert front.order(order.id).status is OrderStatus.CANCELLED
    assert front.order(order.id).payment_status is PaymentStatus.REFUNDED
    assert len(front.gateway.refunds_of(order.id)) == 1
    assert front.stock_of(dune) == 5


# ------------------------------------------------------------------ shipping


async def test_shipping_a_paid_order_marks_it_shipped(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 2))
    mark = len(front.published)

    shipped = await front.bus.handle(ShipOrder(order_id=order.id))

    assert shipped.status == "Shipped"
    assert front.order(order.id).status is OrderStatus.SHIPPED
    [event] = front.published[mark:]
    assert isinstance(event, OrderShipped)
    assert event.order_id == order.id
    assert front.stock_of(dune) == 3


async def test_shipping_keeps_the_payment_captured(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await paid_order(front, (dune, 1))
    shipped = await front.bus.handle(ShipOrder(order_id=order.id))
    assert shipped.payment == order.payment


@pytest.mark.parametrize("state", ["pending", "shipped", "cancelled"])
async def test_only_a_paid_order_can_be_shipped(front: Shopfront, state: str) -> None:
    dune = await front.item(stock=5)
    if state == "pending":
        order_id = (await pending_order(front, (dune, 1), charged=False)).id
    elif state == "shipped":
        order_id = (await shipped_order(front, (dune, 1))).id
    else:
        order_id = (await cancelled_order(front, (dune, 1))).id
    before = front.order(order_id).status

    with pytest.raises(IllegalTransition):
        await front.bus.handle(ShipOrder(order_id=order_id))

    assert front.order(order_id).status is before


async def test_shipping_an_unknown_order_is_not_found(front: Shopfront) -> None:
    with pytest.raises(OrderNotFound):
        await front.bus.handle(ShipOrder(order_id=uuid.uuid4()))


# ------------------------------------------------------------------ settling


async def test_settling_marks_paid_a_pending_order_whose_charge_went_through(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)

    settled = await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    assert settled == 1
    stored = front.order(order.id)
    charge = front.gateway.charge_for(order.id)
    assert charge is not None
    assert (stored.status, stored.payment_reference) == (OrderStatus.PAID, charge.reference)
    assert front.stock_of(dune) == 3
    assert front.gateway.refund_calls == []


async def test_settling_cancels_a_pending_order_never_charged_and_returns_its_stock(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=False)

    settled = await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    assert settled == 1
    stored = front.order(order.id)
    assert (stored.status, stored.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
    assert front.stock_of(dune) == 5


async def test_settling_leaves_orders_pending_while_the_gateway_is_down(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=True)
    front.gateway.find_charge_unreachable = True

    settled = await front.bus.handle(SettlePendingOrders(older_than_seconds=0))

    assert settled == 0
    assert front.order(order.id).status is OrderStatus.PENDING
    assert front.stock_of(dune) == 3


async def test_settling_leaves_alone_orders_younger_than_asked(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await pending_order(front, (dune, 2), charged=False)

    settled = await front.bus.handle(SettlePendingOrders(older_than_seconds=3600))

    assert settled == 0
    assert front.order(order.id).status is OrderStatus.PENDING


async def test_settling_touches_only_pending_orders(front: Shopfront) -> None:
    dune = await front.item(stock=10)
    paid = await paid_order(front, (dune, 1))
    cancelled = await cancelled_order(front, (dune, 1))
    shipped = await shipped_order(front, (dune, 1))
    calls = len(front.gateway.find_calls)

    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 0

    assert len(front.gateway.find_calls) == calls
    assert [front.order(o.id).status for o in (paid, cancelled, shipped)] == [
        OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.SHIPPED]
    assert front.stock_of(dune) == 8


async def test_settling_twice_settles_each_order_once(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    await pending_order(front, (dune, 2), charged=False)

    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 1
    assert await front.bus.handle(SettlePendingOrders(older_than_seconds=0)) == 0
    assert front.stock_of(dune) == 5
