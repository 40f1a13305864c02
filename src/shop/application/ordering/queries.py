"""Ordering queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shop.application.messages import Query
from shop.application.ordering.views import OrderView
from shop.application.paging import Page, PageOf
from shop.application.shared import Principal


@dataclass(frozen=True, kw_only=True)
class GetOrder(Query[OrderView]):
    order_id: uuid.UUID
    principal: Principal


@dataclass(frozen=True, kw_only=True)
class ListOrders(Query[PageOf[OrderView]]):
    principal: Principal
    customer_id: uuid.UUID | None = None
    status: str | None = None
    page: Page = field(default_factory=Page)
