"""Handlers of ordering and inventory queries."""

from __future__ import annotations

from shop.application.ordering.ports import InventoryReadModel, OrderCriteria, OrderReadModel
from shop.application.ordering.queries import GetOrder, GetStock, ListOrders
from shop.application.ordering.views import OrderView, StockView
from shop.application.paging import PageOf
from shop.domain.catalog.errors import ProductNotFound
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


class GetStockHandler:
    def __init__(self, read_model: InventoryReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetStock) -> StockView:
        view = await self._read.stock(query.product_id)
        if view is None:
            raise ProductNotFound(query.product_id)
        return view
