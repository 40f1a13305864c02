"""Customer queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shop.application.customers.views import CustomerView
from shop.application.messages import Query
from shop.application.paging import Page, PageOf


@dataclass(frozen=True, kw_only=True)
class GetCustomer(Query[CustomerView]):
    customer_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListCustomers(Query[PageOf[CustomerView]]):
    page: Page = field(default_factory=Page)
