"""What happens to a placed order afterwards: it is shipped, or cancelled (and refunded)."""

from __future__ import annotations

from shop.application.ordering.commands import CancelOrder, ShipOrder
from shop.application.ordering.ports import Charge, PaymentGateway
from shop.application.ordering.settlement import OrderSettlement, load_order
from shop.application.ordering.views import OrderView
from shop.application.ports import Clock, UnitOfWork
from shop.domain.ordering.order import Order, OrderStatus, PaymentStatus


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
