"""`/api/v1/inventory/forecast` (admin): the products that will run out soonest.

A static segment beside `InventoryController`'s `/{product_id:uuid}`, which never matches it.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from shop.application.ai.queries import ForecastStockouts
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.controllers.search import AI_OFF
from shop.interfaces.http.dependencies import Bus
from shop.interfaces.http.dto.ai import StockoutForecastsResponse
from shop.interfaces.http.problems import error_responses


class InventoryForecastController(Controller):
    path = "/api/v1/inventory/forecast"
    tags = ["search and AI"]
    security = SECURED

    @get(
        "/",
        guards=[admin_only],
        summary="Stock-out forecast",
        description=(
            "Per product: expected daily demand from the last 90 days of paid orders "
            "(Croston/SBA or TSB for intermittent demand, a 28-day moving average for dense "
            "demand; `method` says which), days until stock runs out, the date, and the "
            "quantity to reorder now to cover `horizon_days` at `service_level`. Soonest "
            "stock-out first; products without demand last."
        ),
        responses=error_responses({400: "A parameter out of range.",
                                   401: "No valid access token.", 403: "Admins only.",
                                   503: AI_OFF}),
    )
    async def forecast(
        self,
        bus: Bus,
        horizon_days: Annotated[int, Parameter(ge=1, le=365,
                                               description="Days to cover, 1..365.")] = 30,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Products, 1..100.")] = 20,
        service_level: Annotated[float, Parameter(
            ge=0.5, le=0.999, description="Chance that the reorder covers the horizon.",
        )] = 0.95,
    ) -> StockoutForecastsResponse:
        query = ForecastStockouts(horizon_days=horizon_days, limit=limit,
                                  service_level=service_level)
        return StockoutForecastsResponse.from_forecasts(await bus.ask(query))
