"""Placing an order, a short saga, and the recovery of orders a crash left Pending.

Transaction 1 reserves every line's stock and keeps the order Pending; the
gateway is charged outside any transaction, with the order id as its
idempotency key and a timeout; transaction 2 (`OrderSettlement`) marks the
order Paid, or Cancelled with every unit returned. `SettlePendingOrders`
finishes what a crash interrupted. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from shop.application.ordering.commands import PlaceOrder, SettlePendingOrders
from shop.application.ordering.ports import Charge, IdempotencyRecord, PaymentGateway
from shop.application.ordering.settlement import OrderSettlement, load_order
from shop.application.ordering.views import OrderView
from shop.application.ports import Clock, UnitOfWork
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.ordering.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentUnavailable,
    UnknownProduct,
)
from shop.domain.ordering.order import (
    ItemRequest,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    check_items,
)
from shop.domain.shared.address import Address

log = logging.getLogger("shop.ordering")

IDEMPOTENT_REPLAY_WAIT_SECONDS = 15.0


class PlaceOrderHandler:
    def __init__(self, gateway: PaymentGateway, settlement: OrderSettlement, clock: Clock,
                 payment_timeout_seconds: float) -> None:
        self._gateway = gateway
        self._settlement = settlement
        self._clock = clock
        self._timeout = payment_timeout_seconds

    async def __call__(self, command: PlaceOrder, uow: UnitOfWork) -> OrderView:
        check_items(command.items)
        address = (None if command.shipping_address is None
                   else command.shipping_address.to_address())
        if command.idempotency_key is not None:
            earlier = await self._earlier_answer(command, uow)
            if earlier is not None:
                return earlier
        order = await self._reserve(command, uow, address)
        if order is None:  # a concurrent duplicate claimed the key first
            earlier = await self._earlier_answer(command, uow)
            assert earlier is not None
            return earlier
        return OrderView.of(await self._pay(order, command.payment_token, uow))

    async def _reserve(self, command: PlaceOrder, uow: UnitOfWork,
                       address: Address | None) -> Order | None:
        """Transaction 1: every line reserved, or none; the order kept Pending.

        The reads come first and take no lock (the products, the customer's
        address); the order and its lines are written next; the stock last, in
        one statement (`apply_deltas`: the row locks, in product-id order), so
        the hot rows of a flash sale stay locked only from that statement to
        the commit (the outbox rows and COMMIT), not across the order's own
        inserts. A refusal rolls the order back with everything else.
        """
        order_id = uuid.uuid4()
        now = self._clock.now()
        async with uow:
            if command.idempotency_key is not None:
                taken = await uow.idempotency.claim(IdempotencyRecord(
                    customer_id=command.customer_id, key=command.idempotency_key,
                    request_hash=command.request_fingerprint, order_id=order_id, created_at=now))
                if taken is not None:
                    return None
            # In product-id order, whatever the request's order: the first unknown or
            # short product is the one reported, as when the lines were taken one by one.
            in_id_order = sorted(enumerate(command.items), key=lambda pair: pair[1].product_id)
            products = await uow.products.get_many([item.product_id for item in command.items])
            for index, item in in_id_order:
                if item.product_id not in products:
                    raise UnknownProduct(f"items[{index}].product_id", item.product_id)
            if address is None:
                customer = await uow.customers.get(command.customer_id)
                address = customer.shipping_address if customer else None
            lines = [OrderLine(product_id=item.product_id,
                               product_name=products[item.product_id].name,
                               unit_price=products[item.product_id].price,
                               quantity=item.quantity)
                     for item in command.items]
            order = Order.place(id=order_id, customer_id=command.customer_id, lines=lines,
                                shipping_address=address, now=now)
            await uow.orders.add(order)
            reserved = await uow.stock.apply_deltas(
                {item.product_id: -item.quantity for item in command.items}, now)
            if reserved is None:
                raise await self._short_line(uow, [item for _, item in in_id_order])
            for level, (_, item) in zip(reserved, in_id_order, strict=True):
                level.record_change(-item.quantity, f"order {order_id} placed")
            await uow.commit()
            return order

    @staticmethod
    async def _short_line(uow: UnitOfWork, items: list[ItemRequest]) -> InsufficientStock:
        """The refusal of a reservation: the first line (product-id order) that is short.

        Only on the refusal path, so it costs nothing when stock suffices; if
        every line fits by now (a concurrent release), the first line is named.
        """
        for item in items:
            level = await uow.stock.get(item.product_id)
            if level is None or level.on_hand < item.quantity:
                return InsufficientStock(item.product_id, item.quantity)
        return InsufficientStock(items[0].product_id, items[0].quantity)

    async def _pay(self, order: Order, token: str, uow: UnitOfWork) -> Order:
        """Outside any transaction: charge, then transaction 2 settles the order."""
        key = str(order.id)
        try:
            async with asyncio.timeout(self._timeout):  # no task per charge, unlike wait_for
                charge = await self._gateway.charge(idempotency_key=key, amount=order.total,
                                                    token=token)
        except PaymentDeclined:
            await self._settlement.cancel_and_release(uow, order.id, "payment declined",
                                                      PaymentStatus.DECLINED)
            raise
        except (PaymentUnavailable, TimeoutError) as failure:
            found = await self._charge_made_anyway(key)
            if found is None:
                await self._settlement.cancel_and_release(uow, order.id, "payment failed",
                                                          PaymentStatus.FAILED)
                raise PaymentUnavailable(
                    "the payment provider failed or did not answer; nothing was charged and "
                    "the order was cancelled") from failure
            charge = found
        return await self._settlement.mark_paid(uow, order.id, charge, placed=order)

    async def _charge_made_anyway(self, key: str) -> Charge | None:
        """After a failure or timeout the charge may still have happened: ask by key."""
        try:
            return await asyncio.wait_for(self._gateway.find_charge(key), self._timeout)
        except (PaymentUnavailable, TimeoutError):
            # Unknown outcome: never cancel an order whose money may have been taken.
            # It stays Pending and the recovery step settles it once the gateway answers.
            raise PaymentUnavailable(
                "the payment provider did not answer; the order stays Pending until the "
                "payment's outcome is known") from None

    async def _earlier_answer(self, command: PlaceOrder, uow: UnitOfWork) -> OrderView | None:
        """Answer a repeated Idempotency-Key with what the first request got."""
        assert command.idempotency_key is not None
        deadline = asyncio.get_running_loop().time() + IDEMPOTENT_REPLAY_WAIT_SECONDS
        while True:
            async with uow:
                record = await uow.idempotency.find(command.customer_id, command.idempotency_key)
                if record is None:
                    return None
                if record.request_hash != command.request_fingerprint:
                    raise IdempotencyKeyReused()
                order = await uow.orders.get(record.order_id)
            if order is None:
                return None
            if order.status is not OrderStatus.PENDING or (
                asyncio.get_running_loop().time() > deadline
            ):
                break
            await asyncio.sleep(0.05)  # the first request is still paying; wait for its outcome
        if order.payment_status is PaymentStatus.DECLINED:
            raise PaymentDeclined("the card was declined; the order was cancelled")
        if order.payment_status is PaymentStatus.FAILED:
            raise PaymentUnavailable("the payment provider failed; the order was cancelled")
        return OrderView.of(order)


class SettlePendingOrdersHandler:
    def __init__(self, gateway: PaymentGateway, settlement: OrderSettlement,
                 clock: Clock) -> None:
        self._gateway = gateway
        self._settlement = settlement
        self._clock = clock

    async def __call__(self, command: SettlePendingOrders, uow: UnitOfWork) -> int:
        before = self._clock.now() - timedelta(seconds=command.older_than_seconds)
        async with uow:
            stuck = await uow.orders.pending_since(before, command.limit)
        settled = 0
        for order_id in stuck:
            try:
                charge = await self._gateway.find_charge(str(order_id))
            except PaymentUnavailable:
                log.warning("cannot settle order %s yet: the gateway does not answer", order_id)
                continue
            if charge is not None:
                await self._settlement.mark_paid(uow, order_id, charge)
            else:
                await self._settlement.cancel_and_release(uow, order_id, "payment never completed",
                                                          PaymentStatus.FAILED)
            settled += 1
        async with uow:
            awaiting = await uow.orders.awaiting_refund(command.limit)
        for order_id in awaiting:
            async with uow:
                order = await load_order(uow, order_id)
            if order.payment_reference is not None:
                done = await self._settlement.refund(uow, order_id, Charge(order.payment_reference))
                settled += done.payment_status is PaymentStatus.REFUNDED
        return settled
