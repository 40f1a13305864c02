"""Reading orders: owners see their own, admins see and filter all, newest first."""

from __future__ import annotations

import uuid

import pytest

from shop.application.catalog.views import ProductView
from shop.application.ordering.commands import CancelOrder, ShipOrder
from shop.application.ordering.queries import GetOrder, ListOrders
from shop.application.ordering.views import OrderView
from shop.application.paging import Page
from shop.application.shared import Principal
from shop.domain.ordering.errors import OrderNotFound, PaymentDeclined

from .conftest import Shopfront, admin, customer

ANN = customer()
BOB = customer()
ADMIN = admin()


async def orders_of(front: Shopfront, who: Principal, product: ProductView,
                    count: int) -> list[OrderView]:
    return [await front.place(who.customer_id, (product, 1)) for _ in range(count)]


# ------------------------------------------------------------------ GetOrder


async def test_the_owner_reads_the_order_as_placing_it_answered(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await front.place(ANN.customer_id, (dune, 2))

    assert await front.bus.ask(GetOrder(order_id=order.id, principal=ANN)) == order


async def test_another_customers_order_reads_as_not_found(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await front.place(ANN.customer_id, (dune, 2))

    with pytest.raises(OrderNotFound):
        await front.bus.ask(GetOrder(order_id=order.id, principal=BOB))


async def test_an_admin_reads_any_order(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await front.place(ANN.customer_id, (dune, 2))

    assert (await front.bus.ask(GetOrder(order_id=order.id, principal=ADMIN))).id == order.id


async def test_an_unknown_order_reads_as_not_found_even_for_an_admin(front: Shopfront) -> None:
    with pytest.raises(OrderNotFound):
        await front.bus.ask(GetOrder(order_id=uuid.uuid4(), principal=ADMIN))


async def test_a_read_order_shows_its_latest_status(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    order = await front.place(ANN.customer_id, (dune, 2))
    await front.bus.handle(ShipOrder(order_id=order.id))

    read = await front.bus.ask(GetOrder(order_id=order.id, principal=ANN))

    assert read.status == "Shipped"
    assert read.updated_at > order.updated_at


async def test_a_declined_order_can_be_read_as_cancelled(front: Shopfront) -> None:
    dune = await front.item(stock=5)
    with pytest.raises(PaymentDeclined):
        await front.place(ANN.customer_id, (dune, 2), token="tok_chargeDeclined")

    read = await front.bus.ask(GetOrder(order_id=front.the_order().id, principal=ANN))

    assert (read.status, read.payment.status) == ("Cancelled", "declined")


# ------------------------------------------------------------------ ListOrders


async def test_a_customer_lists_only_their_own_orders_newest_first(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    anns = await orders_of(front, ANN, dune, 3)
    await orders_of(front, BOB, dune, 2)

    listed = await front.bus.ask(ListOrders(principal=ANN))

    assert [o.id for o in listed.items] == [o.id for o in reversed(anns)]
    assert (listed.total, listed.limit, listed.offset) == (3, 20, 0)


async def test_a_customer_cannot_list_another_customers_orders_by_filtering(
    front: Shopfront,
) -> None:
    dune = await front.item(stock=20)
    anns = await orders_of(front, ANN, dune, 1)
    await orders_of(front, BOB, dune, 2)

    listed = await front.bus.ask(ListOrders(principal=ANN, customer_id=BOB.customer_id))

    assert [o.id for o in listed.items] == [anns[0].id]


async def test_an_admin_lists_every_order_newest_first(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    placed = [await front.place(who.customer_id, (dune, 1)) for who in (ANN, BOB, ANN)]

    listed = await front.bus.ask(ListOrders(principal=ADMIN))

    assert [o.id for o in listed.items] == [o.id for o in reversed(placed)]
    assert listed.total == 3


async def test_an_admin_filters_by_customer(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    await orders_of(front, ANN, dune, 2)
    bobs = await orders_of(front, BOB, dune, 1)

    listed = await front.bus.ask(ListOrders(principal=ADMIN, customer_id=BOB.customer_id))

    assert [o.id for o in listed.items] == [bobs[0].id]


async def test_an_admin_filters_by_status(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    paid, shipped, cancelled = await orders_of(front, ANN, dune, 3)
    await front.bus.handle(ShipOrder(order_id=shipped.id))
    await front.bus.handle(CancelOrder(order_id=cancelled.id, principal=ANN))

    by_status = {
        status: [o.id for o in (await front.bus.ask(
            ListOrders(principal=ADMIN, status=status))).items]
        for status in ("Pending", "Paid", "Shipped", "Cancelled")
    }

    assert by_status == {"Pending": [], "Paid": [paid.id], "Shipped": [shipped.id],
                         "Cancelled": [cancelled.id]}


async def test_a_customer_may_filter_their_own_orders_by_status(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    first, second = await orders_of(front, ANN, dune, 2)
    await orders_of(front, BOB, dune, 1)
    await front.bus.handle(ShipOrder(order_id=second.id))

    listed = await front.bus.ask(ListOrders(principal=ANN, status="Paid"))

    assert [o.id for o in listed.items] == [first.id]


async def test_orders_are_listed_a_page_at_a_time(front: Shopfront) -> None:
    dune = await front.item(stock=20)
    newest_first = [o.id for o in reversed(await orders_of(front, ANN, dune, 5))]

    page = await front.bus.ask(ListOrders(principal=ANN, page=Page(limit=2, offset=2)))

    assert [o.id for o in page.items] == newest_first[2:4]
    assert (page.total, page.limit, page.offset) == (5, 2, 2)
