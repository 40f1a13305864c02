"""Handlers of ordering queries."""

from __future__ import annotations

from shop.application.ordering.ports import OrderCriteria, OrderReadModel
from shop.application.ordering.queries import GetOrder, ListOrders
from shop.application.ordering.views import OrderView
from shop.application.paging import PageOf
from shop.domain.ordering.errors import OrderNotFound


class GetOrderHandler:
    def __init__(self, read_model: OrderReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetOrder) -> OrderView:
        view = await self._read.order(query.order_id)
        who = query.principal
        if view is None or (not who.is_admin and view.customer_id != who.customer_id):
            raise OrderNotFound(query.order_id)
        return view


class ListOrdersHandler:
    def __init__(self, read_model: OrderReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListOrders) -> PageOf[OrderView]:
        who = query.principal
        customer_id = query.customer_id if who.is_admin else who.customer_id
        return await self._read.orders(OrderCriteria(customer_id=customer_id,
                                                     status=query.status), query.page)
