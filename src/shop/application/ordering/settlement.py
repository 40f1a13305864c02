"""The second half of the placing saga, which cancelling and recovery finish too.

`mark_paid` settles a charged order, `cancel_and_release` cancels one and
returns its stock in one transaction, `refund` gives a cancelled order's money
back (or leaves it awaiting a retry). Each runs its own short transaction on
the caller's unit of work, never across a call to the gateway.
"""

from __future__ import annotations

import logging
import uuid

from shop.application.ordering.ports import Charge, PaymentGateway
from shop.application.ports import Clock, UnitOfWork
from shop.application.shared import Principal
from shop.domain.ordering.errors import OrderNotFound, PaymentUnavailable
from shop.domain.ordering.order import Order, OrderStatus, PaymentStatus
from shop.domain.shared.errors import ConcurrentModification

log = logging.getLogger("shop.ordering")


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

    async def mark_paid(self, uow: UnitOfWork, order_id: uuid.UUID, charge: Charge, *,
                        placed: Order | None = None) -> Order:
        """Mark a charged order Paid (or refund it if it was cancelled meanwhile).

        `placed`: the order as its placement committed it, so it is not read
        again; the save applies only over that version, and if anything changed
        the order since (a cancellation), it is read and handled as below.
        """
        if placed is not None and placed.status is OrderStatus.PENDING:
            async with uow:
                uow.orders.attach(placed)
                placed.mark_paid(charge.reference, self._clock.now())
                try:
                    await uow.orders.save(placed)
                except ConcurrentModification:
                    placed.pull_events()  # that change never happened; read the order anew
                else:
                    await uow.commit()
                    return placed
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
