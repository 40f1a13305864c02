"""Intermittent-demand forecasts and the stock-out forecast built on them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from shop.application.ai.demand import (
    Method,
    choose_method,
    croston,
    forecast,
    moving_average,
    sba,
    tsb,
)
from shop.application.ai.ports import StockLevel
from shop.application.ai.queries import ForecastStockouts
from shop.application.ai.stockouts import HISTORY_DAYS, ForecastStockoutsHandler
from tests.unit.fakes import FixedClock

EVERY_FOURTH_DAY_TWO = [0, 0, 0, 2] * 20  # 0.5 units a day, in lumps


def test_croston_recovers_the_rate_of_a_regular_intermittent_series() -> None:
    assert croston(EVERY_FOURTH_DAY_TWO) == pytest.approx(0.5)


def test_sba_removes_crostons_bias_by_one_minus_half_alpha() -> None:
    assert sba(EVERY_FOURTH_DAY_TWO, alpha=0.1) == pytest.approx(0.95 * croston(
        EVERY_FOURTH_DAY_TWO, alpha=0.1))


def test_tsb_decays_when_a_product_stops_selling_where_croston_stays_frozen() -> None:
    stopped = EVERY_FOURTH_DAY_TWO + [0] * 40
    assert croston(stopped) == pytest.approx(croston(EVERY_FOURTH_DAY_TWO))
    assert tsb(stopped) < 0.1 * tsb(EVERY_FOURTH_DAY_TWO)


def test_the_method_follows_the_demand_pattern() -> None:
    assert choose_method([3, 1, 2, 4] * 10) is Method.MOVING_AVERAGE
    assert choose_method(EVERY_FOURTH_DAY_TWO) is Method.SBA
    assert choose_method(EVERY_FOURTH_DAY_TWO + [0] * 40) is Method.TSB
    assert choose_method([0] * 30) is Method.NO_DEMAND


def test_dense_demand_is_a_28_day_moving_average() -> None:
    history = [10] * 60 + [2] * 28
    assert forecast(history).daily == moving_average(history) == pytest.approx(2.0)


class History:
    """The analytics projection's answer: units per product per day, days without sales absent;
    each series given here ends today."""

    def __init__(self, series: Mapping[uuid.UUID, list[int]]) -> None:
        self.series = series
        self.asked: tuple[date, date] | None = None

    async def daily_units(self, first: date, last: date,
                          product_ids: Sequence[uuid.UUID] | None = None,
                          ) -> dict[uuid.UUID, dict[date, int]]:
        self.asked = (first, last)
        return {pid: {last - timedelta(days=len(units) - 1 - n): u
                      for n, u in enumerate(units) if u}
                for pid, units in self.series.items()}


class Levels:
    def __init__(self, levels: Sequence[StockLevel]) -> None:
        self.levels = levels

    async def stock_levels(self) -> Sequence[StockLevel]:
        return self.levels


TODAY = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


async def test_products_that_run_out_soonest_come_first_with_date_and_reorder() -> None:
    fast, slow, idle = (StockLevel(uuid.uuid4(), name, stock) for name, stock in
                        (("fast", 10), ("slow", 10), ("idle", 3)))
    history = History({fast.product_id: [5] * HISTORY_DAYS,
                       slow.product_id: [0, 0, 0, 2] * (HISTORY_DAYS // 4) + [0, 0]})
    handler = ForecastStockoutsHandler(history, Levels([idle, slow, fast]),  # type: ignore[arg-type]
                                       FixedClock(TODAY))
    forecasts = await handler(ForecastStockouts(horizon_days=30))
    assert [f.name for f in forecasts] == ["fast", "slow", "idle"]
    first = forecasts[0]
    assert (first.daily_demand, first.days_until_stockout, first.method) == (
        5.0, 2.0, "moving_average")
    assert first.stockout_date == date(2026, 12, 3)
    assert first.reorder_quantity == 5 * 30 - 10  # no variance: no safety stock
    assert forecasts[1].method == "sba"
    assert forecasts[2].days_until_stockout is None
    assert (forecasts[2].stockout_date, forecasts[2].reorder_quantity) == (None, 0)
    assert history.asked == (TODAY.date() - timedelta(days=HISTORY_DAYS - 1), TODAY.date())


async def test_a_higher_service_level_orders_more_safety_stock() -> None:
    level = StockLevel(uuid.uuid4(), "lumpy", 0)
    history = History({level.product_id: [0, 6, 0, 0, 1, 0] * 15})
    handler = ForecastStockoutsHandler(history, Levels([level]),  # type: ignore[arg-type]
                                       FixedClock(TODAY))
    low = (await handler(ForecastStockouts(service_level=0.5)))[0].reorder_quantity
    high = (await handler(ForecastStockouts(service_level=0.99)))[0].reorder_quantity
    assert high > low > 0


def test_a_series_whose_sales_thin_out_in_its_last_third_is_forecast_by_tsb() -> None:
    thinning = [0, 2] * 30 + [0, 0, 0, 0, 0, 2] * 5
    assert choose_method(thinning) is Method.TSB
