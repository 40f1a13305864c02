"""GetSalesSummaryHandler reuses answers per window: one computation however many ask."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from shop.application.analytics.figures import SalesFigures
from shop.application.analytics.ports import DaySales, ProductStock, ProductTotal
from shop.application.analytics.queries import GetSalesSummary
from shop.application.analytics.query_handlers import GetSalesSummaryHandler, SummaryPolicy
from shop.application.analytics.tracked_order import TrackedOrder
from tests.unit.fakes import FixedClock


class CountingReadModel:
    """Answers one day of 10.00 revenue; counts how often the daily sales were read."""

    def __init__(self) -> None:
        self.reads = 0
        self.revenue_minor = 1000
        self.gate = asyncio.Event()
        self.gate.set()

    async def sales_by_day(self, currency: str, first: date, last: date) -> list[DaySales]:
        self.reads += 1
        await self.gate.wait()
        return [DaySales(last, SalesFigures(self.revenue_minor, 1, 1))]

    async def status_counts(self, first: date, last: date) -> dict[str, int]:
        return {"Paid": 1}

    async def product_totals(self, currency: str, first: date, last: date,
                             limit: int | None) -> list[ProductTotal]:
        return []

    async def orders_placed(self, start: datetime, end: datetime) -> list[TrackedOrder]:
        return []

    async def product_names(self, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        return {}

    async def low_stock(self, threshold: int, limit: int) -> list[ProductStock]:
        return []


def handler(read: CountingReadModel, clock: FixedClock) -> GetSalesSummaryHandler:
    return GetSalesSummaryHandler(read, clock, SummaryPolicy(cache_seconds=1, stale_seconds=5))


async def test_concurrent_requests_for_a_window_share_one_computation() -> None:
    read, clock = CountingReadModel(), FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    ask = handler(read, clock)
    read.gate.clear()
    waiting = [asyncio.create_task(ask(GetSalesSummary())) for _ in range(20)]
    await asyncio.sleep(0)
    read.gate.set()
    answers = await asyncio.gather(*waiting)
    assert read.reads == 1
    assert {str(answer.revenue.amount) for answer in answers} == {"10.00"}


async def test_an_expired_answer_is_given_once_more_while_a_fresh_one_is_computed() -> None:
    read, clock = CountingReadModel(), FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    ask = handler(read, clock)
    await ask(GetSalesSummary())
    read.revenue_minor = 2500
    clock.advance(timedelta(seconds=2))

    stale = await ask(GetSalesSummary())
    await asyncio.sleep(0.01)  # the background computation finishes
    fresh = await ask(GetSalesSummary())

    assert (str(stale.revenue.amount), str(fresh.revenue.amount)) == ("10.00", "25.00")
    assert read.reads == 2


async def test_an_answer_older_than_the_stale_limit_is_never_given() -> None:
    read, clock = CountingReadModel(), FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    ask = handler(read, clock)
    await ask(GetSalesSummary())
    read.revenue_minor = 2500
    clock.advance(timedelta(seconds=6))
    assert str((await ask(GetSalesSummary())).revenue.amount) == "25.00"
