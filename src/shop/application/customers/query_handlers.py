"""Handlers of the customers context's queries."""

from __future__ import annotations

from shop.application.customers.ports import CustomerReadModel
from shop.application.customers.queries import GetCustomer, ListCustomers
from shop.application.customers.views import CustomerView
from shop.application.paging import PageOf
from shop.domain.customers.errors import CustomerNotFound


class GetCustomerHandler:
    def __init__(self, read_model: CustomerReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: GetCustomer) -> CustomerView:
        view = await self._read.customer(query.customer_id)
        if view is None:
            raise CustomerNotFound(query.customer_id)
        return view


class ListCustomersHandler:
    def __init__(self, read_model: CustomerReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListCustomers) -> PageOf[CustomerView]:
        return await self._read.customers(query.page)
