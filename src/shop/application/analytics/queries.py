"""Analytics queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shop.application.analytics.views import SalesSummary
from shop.application.messages import Query
from shop.domain.shared.money import DEFAULT_CURRENCY


@dataclass(frozen=True, kw_only=True)
class GetSalesSummary(Query[SalesSummary]):
    """Sales in [start, end) (missing edges: see `SalesWindow.resolve`), in one currency."""

    start: datetime | None = None
    end: datetime | None = None
    currency: str = DEFAULT_CURRENCY
