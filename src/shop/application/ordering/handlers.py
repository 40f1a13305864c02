"""Handlers of ordering and inventory commands.

Placing an order is a short saga (see docs/architecture.md): transaction 1
reserves every line's stock and keeps the order Pending; the gateway is
charged outside any transaction, with the order id as its idempotency key and
a timeout; transaction 2 marks the order Paid, or Cancelled with every unit
returned. `SettlePendingOrders` finishes what a crash interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from shop.application.customers.commands import AddressInput
from shop.application.customers.views import Principal
from shop.application.ordering.commands import (
    AdjustStock,
    CancelOrder,
    PlaceOrder,
    SetStock,
    SettlePendingOrders,
    ShipOrder,
)
from shop.application.ordering.ports import Charge, PaymentGateway
from shop.application.ordering.views import IdempotencyRecord, OrderView, StockView
from shop.application.ports import Clock, UnitOfWork
from shop.domain.catalog.errors import ProductNotFound
from shop.domain.inventory.errors import InsufficientStock
from shop.domain.inventory.stock import MAX_STOCK, check_level
from shop.domain.ordering.errors import (
    IdempotencyKeyReused,
    OrderNotFound,
    PaymentDeclined,
    PaymentUnavailable,
    UnknownProduct,
)
from shop.domain.ordering.order import Order, OrderLine, OrderStatus, PaymentStatus, check_items
from shop.domain.shared.address import Address
from shop.domain.shared.errors import ConcurrentModification, InvalidValue

log = logging.getLogger("shop.ordering")

IDEMPOTENT_REPLAY_WAIT_SECONDS = 15.0


def _address(value: AddressInput | None) -> Address | None:
    if value is None:
        return None
    return Address(line1=value.line1, line2=value.line2, city=value.city,
                   postal_code=value.postal_code, country=value.country)


async def load_order(uow: UnitOfWork, order_id: uuid.UUID,
                     principal: Principal | None = None) -> Order:
    """The order, if it exists and the principal may see it (another's order is a 404)."""
    order = await uow.orders.get(order_id)
    if order is None or (
        principal is not None and not principal.is_admin
        and order.customer_id != principal.customer_id
    ):
        raise OrderNotFound(order_id)
    return order


class OrderSettlement:
    """The second half of the saga, shared by placing, cancelling and recovery."""

    def __init__(self, gateway: PaymentGateway, clock: Clock) -> None:
        self._gateway = gateway
        self._clock = clock

    async def mark_paid(self, uow: UnitOfWork, order_id: uuid.UUID, charge: Charge) -> Order:
        async with uow:
            order = await load_order(uow, order_id)
            if order.status is OrderStatus.PENDING:
                order.mark_paid(charge.reference, self._clock.now())
                await uow.orders.save(order)
                await uow.commit()
                return order
        if order.status is OrderStatus.CANCELLED:
            # Cancelled while the charge was in flight: the money goes back.
            return await self.refund(uow, order_id, charge)
        return order

    async def refund(self, uow: UnitOfWork, order_id: uuid.UUID, charge: Charge) -> Order:
        """Refund a cancelled order's charge (idempotent by key) and record it on the order.

        If the gateway fails, the order keeps `refund_pending` and the recovery
        step tries again; the cancellation itself already stands.
        """
        async with uow:
            order = await load_order(uow, order_id)
        try:
            await self._gateway.refund(idempotency_key=f"refund:{order.id}", charge=charge,
                                       amount=order.total)
        except PaymentUnavailable:
            log.warning("refund of order %s failed; the recovery step will retry", order_id)
            async with uow:
                order = await load_order(uow, order_id)
                if not order.is_awaiting_refund_of(charge.reference):
                    order.await_refund(charge.reference)
                    await uow.orders.save(order)
                    await uow.commit()
            return order
        async with uow:
            order = await load_order(uow, order_id)
            order.record_refund(charge.reference, self._clock.now())
            await uow.orders.save(order)
            await uow.commit()
            return order

    async def cancel_and_release(self, uow: UnitOfWork, order_id: uuid.UUID, reason: str,
                                 payment_status: PaymentStatus | None = None, *,
                                 expected_version: int | None = None) -> Order:
        """Cancel and return every reserved unit, in one transaction (idempotent).

        With `expected_version`, an order changed since the caller read it (say,
        shipped meanwhile) is refused instead of cancelled.
        """
        async with uow:
            order = await load_order(uow, order_id)
            if order.status is OrderStatus.CANCELLED:
                return order
            if expected_version is not None and order.version != expected_version:
                raise ConcurrentModification(
                    f"order {order_id} changed while it was being cancelled; reload and retry")
            now = self._clock.now()
            order.cancel(reason, now, payment_status=payment_status)
            for line in sorted(order.lines, key=lambda line: line.product_id):  # lock order
                returned = await uow.stock.apply_delta(line.product_id, line.quantity, now)
                if returned is None:  # only if stock was raised to its maximum meanwhile
                    log.error("could not return %d units of %s from cancelled order %s: "
                              "stock is at its maximum", line.quantity, line.product_id, order.id)
                    continue
                returned.record_change(line.quantity, f"order {order.id} cancelled")
            await uow.orders.save(order)
            await uow.commit()
            return order


class PlaceOrderHandler:
    def __init__(self, gateway: PaymentGateway, settlement: OrderSettlement, clock: Clock,
                 payment_timeout_seconds: float) -> None:
        self._gateway = gateway
        self._settlement = settlement
        self._clock = clock
        self._timeout = payment_timeout_seconds

    async def __call__(self, command: PlaceOrder, uow: UnitOfWork) -> OrderView:
        check_items(command.items)
        address = _address(command.shipping_address)
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
        """Transaction 1: every line reserved, or none; the order kept Pending."""
        order_id = uuid.uuid4()
        now = self._clock.now()
        async with uow:
            if command.idempotency_key is not None:
                taken = await uow.idempotency.claim(IdempotencyRecord(
                    customer_id=command.customer_id, key=command.idempotency_key,
                    request_hash=command.request_fingerprint, order_id=order_id, created_at=now))
                if taken is not None:
                    return None
            if address is None:
                customer = await uow.customers.get(command.customer_id)
                address = customer.shipping_address if customer else None
            lines: dict[uuid.UUID, OrderLine] = {}
            # Rows are locked in product-id order, whatever the request's order, so two
            # orders sharing products can never wait on each other (no deadlock).
            for index, item in sorted(enumerate(command.items),
                                      key=lambda pair: pair[1].product_id):
                product = await uow.products.get(item.product_id)
                if product is None:
                    raise UnknownProduct(f"items[{index}].product_id", item.product_id)
                reserved = await uow.stock.apply_delta(product.id, -item.quantity, now)
                if reserved is None:
                    raise InsufficientStock(product.id, item.quantity)
                reserved.record_change(-item.quantity, f"order {order_id} placed")
                lines[product.id] = OrderLine(product_id=product.id, product_name=product.name,
                                              unit_price=product.price, quantity=item.quantity)
            in_request_order = [lines[item.product_id] for item in command.items]
            order = Order.place(id=order_id, customer_id=command.customer_id,
                                lines=in_request_order,
                                shipping_address=address, now=now)
            await uow.orders.add(order)
            await uow.commit()
            return order

    async def _pay(self, order: Order, token: str, uow: UnitOfWork) -> Order:
        """Outside any transaction: charge, then transaction 2 settles the order."""
        key = str(order.id)
        try:
            charge = await asyncio.wait_for(
                self._gateway.charge(idempotency_key=key, amount=order.total, token=token),
                self._timeout)
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
        return await self._settlement.mark_paid(uow, order.id, charge)

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


class ShipOrderHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: ShipOrder, uow: UnitOfWork) -> OrderView:
        async with uow:
            order = await load_order(uow, command.order_id)
            order.ship(self._clock.now())
            await uow.orders.save(order)
            await uow.commit()
            return OrderView.of(order)


class CancelOrderHandler:
    """Cancel first, refund after: once Cancelled, no concurrent ship can succeed, so money
    never goes back for an order that leaves the warehouse."""

    def __init__(self, gateway: PaymentGateway, settlement: OrderSettlement) -> None:
        self._gateway = gateway
        self._settlement = settlement

    async def __call__(self, command: CancelOrder, uow: UnitOfWork) -> OrderView:
        async with uow:
            order = await load_order(uow, command.order_id, command.principal)
        order.check_cancellable()
        charge = await self._charge_of(order)
        cancelled = await self._settlement.cancel_and_release(
            uow, order.id, "cancelled",
            PaymentStatus.REFUND_PENDING if charge is not None else None,
            expected_version=order.version)
        if charge is not None:
            cancelled = await self._settlement.refund(uow, order.id, charge)
        return OrderView.of(cancelled)

    async def _charge_of(self, order: Order) -> Charge | None:
        """The money taken for the order; a Pending order may have been charged already."""
        if order.status is OrderStatus.PAID and order.payment_reference is not None:
            return Charge(order.payment_reference)
        if order.status is OrderStatus.PENDING:
            # Pending means the payment's outcome is not known yet: ask before cancelling.
            return await self._gateway.find_charge(str(order.id))
        return None


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


class AdjustStockHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: AdjustStock, uow: UnitOfWork) -> StockView:
        if command.delta == 0:
            raise InvalidValue("delta", "must not be zero")
        reason = command.reason.strip()
        if not reason or len(reason) > 200:
            raise InvalidValue("reason", "must be 1 to 200 characters")
        async with uow:
            if await uow.products.get(command.product_id) is None:
                raise ProductNotFound(command.product_id)
            stock = await uow.stock.apply_delta(command.product_id, command.delta,
                                                self._clock.now())
            if stock is None and command.delta > 0:
                raise InvalidValue("delta", f"stock would exceed the maximum of {MAX_STOCK}")
            if stock is None:
                raise InsufficientStock(command.product_id, -command.delta)
            stock.record_change(command.delta, reason)
            await uow.commit()
            return StockView.of(stock)


class SetStockHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: SetStock, uow: UnitOfWork) -> StockView:
        check_level(command.stock)
        async with uow:
            if await uow.products.get(command.product_id) is None:
                raise ProductNotFound(command.product_id)
            result = await uow.stock.set_level(command.product_id, command.stock,
                                               self._clock.now())
            if result is None:
                raise ProductNotFound(command.product_id)
            level, delta = result
            if delta:
                level.record_change(delta, "stock count set")
            await uow.commit()
            return StockView.of(level)
