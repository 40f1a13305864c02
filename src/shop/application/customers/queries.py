"""Customer queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.customers.views import CustomerView
from shop.application.messages import Query
from shop.application.paging import PageQuery


@dataclass(frozen=True, kw_only=True)
class GetCustomer(Query[CustomerView]):
    """A profile; the route asks only for the caller's own."""

    customer_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListCustomers(PageQuery[CustomerView]):
    """Newest first; for admins (the route checks the role)."""

