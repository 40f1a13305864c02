"""`ForecastStockouts`: which products run out first, and how much to reorder.

Each product's daily demand comes from its units sold per day over the last
`HISTORY_DAYS` days, today included (the analytics projection of sales per
product per day; see `demand` for the methods). Days until stock-out =
stock / daily demand. The reorder quantity covers the horizon's expected
demand plus safety stock at the chosen service level, z * sigma * sqrt(horizon)
with sigma the daily standard deviation (days taken as independent), minus
what is on hand.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist

from shop.application.ai.demand import forecast
from shop.application.ai.ports import ProductViews, StockLevel
from shop.application.ai.queries import ForecastStockouts
from shop.application.ai.views import StockoutForecast
from shop.application.analytics.ports import ProductSalesHistory
from shop.application.ports import Clock

HISTORY_DAYS = 90


class ForecastStockoutsHandler:
    def __init__(self, history: ProductSalesHistory, levels: ProductViews, clock: Clock) -> None:
        self._history = history
        self._levels = levels
        self._clock = clock

    async def __call__(self, query: ForecastStockouts) -> list[StockoutForecast]:
        today = self._clock.now().date()
        first_day = today - timedelta(days=HISTORY_DAYS - 1)
        sales = await self._history.daily_units(first_day, today)
        days = [first_day + timedelta(days=n) for n in range(HISTORY_DAYS)]
        z = NormalDist().inv_cdf(query.service_level)
        forecasts = []
        for level in await self._levels.stock_levels():
            by_day = sales.get(level.product_id, {})
            history = [by_day.get(day, 0) for day in days]
            forecasts.append(self._forecast(level, history, today, z, query))
        forecasts.sort(key=lambda f: (f.days_until_stockout is None,
                                      f.days_until_stockout or 0.0, f.name, str(f.product_id)))
        return forecasts[: query.limit]

    @staticmethod
    def _forecast(level: StockLevel, history: list[int], today: date, z: float,
                  query: ForecastStockouts) -> StockoutForecast:
        demand = forecast(history)
        days = level.stock / demand.daily if demand.daily > 0 else None
        reorder = 0
        if demand.daily > 0:
            horizon = query.horizon_days
            needed = demand.daily * horizon + z * math.sqrt(demand.daily_variance * horizon)
            reorder = max(0, math.ceil(needed - level.stock))
        return StockoutForecast(
            product_id=level.product_id,
            name=level.name,
            stock=level.stock,
            daily_demand=round(demand.daily, 4),
            days_until_stockout=None if days is None else round(days, 1),
            stockout_date=None if days is None else today + timedelta(days=math.floor(days)),
            reorder_quantity=reorder,
            method=demand.method.value,
        )
