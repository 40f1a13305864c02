"""`/api/v1/analytics`: the sales summary behind the dashboard (admins only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from shop.application.analytics.queries import GetSalesSummary
from shop.domain.shared.money import DEFAULT_CURRENCY
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.dependencies import Bus
from shop.interfaces.http.dto.analytics import (
    EDGE_FORMATS,
    EDGE_SCHEMA,
    SalesSummaryResponse,
    parse_edge,
    present_summary,
)
from shop.interfaces.http.problems import error_responses

WindowStart = Annotated[str | None, QueryParameter(
    name="from", description=f"Start of the window, inclusive. {EDGE_FORMATS} "
    "Default: 30 days before `to`.", schema_extra=EDGE_SCHEMA,
    examples=[Example(value="2026-11-01"), Example(value="2026-11-01T10:00:00Z")])]
WindowEnd = Annotated[str | None, QueryParameter(
    name="to", description=f"End of the window, exclusive. {EDGE_FORMATS} "
    "Default: the end of today (UTC).", schema_extra=EDGE_SCHEMA,
    examples=[Example(value="2026-12-01"), Example(value="2026-11-30T18:30:00+01:00")])]
Currency = Annotated[str, QueryParameter(
    description="ISO 4217 code: figures are per currency.", min_length=3, max_length=3)]


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]
    security = SECURED
    guards = [admin_only]

    @get(
        "/summary",
        summary="Sales summary of a window",
        description="Revenue, orders, average order value, orders by status, top products, "
        "low stock and revenue per day for the orders placed in [from, to), read from the "
        "analytics projections (kept by event consumers, so they follow the orders within "
        "moments; one process reuses an answer for `SHOP_ANALYTICS_CACHE_SECONDS`). Only "
        "`Paid` and `Shipped` orders count as revenue. The window spans at most 366 days.",
        responses=error_responses({
            400: "`from`/`to` is not an ISO 8601 date or timestamp, `to` is not after `from`, "
                 "or the window spans more than 366 days.",
            401: "No valid access token.",
            403: "Admins only.",
            422: "Unknown currency.",
        }),
    )
    async def summary(self, bus: Bus, window_start: WindowStart = None,
                      window_end: WindowEnd = None,
                      currency: Currency = DEFAULT_CURRENCY) -> SalesSummaryResponse:
        query = GetSalesSummary(start=parse_edge(window_start, "from"),
                                end=parse_edge(window_end, "to"), currency=currency)
        return present_summary(await bus.ask(query))
