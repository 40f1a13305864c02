"""Ordering queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shop.application.messages import Query
from shop.application.ordering.views import OrderView
from shop.application.paging import PageQuery
from shop.application.shared import Principal


@dataclass(frozen=True, kw_only=True)
class GetOrder(Query[OrderView]):
    """Another customer's order is answered as not found (404), never as forbidden."""

    principal: Principal
    order_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListOrders(PageQuery[OrderView]):
    principal: Principal
    customer_id: uuid.UUID | None = None
    status: str | None = None
