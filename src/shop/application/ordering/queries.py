"""Ordering and inventory queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shop.application.customers.views import Principal
from shop.application.messages import Query
from shop.application.ordering.views import OrderView, StockView
from shop.application.paging import Page, PageOf


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


@dataclass(frozen=True, kw_only=True)
class GetStock(Query[StockView]):
    product_id: uuid.UUID
