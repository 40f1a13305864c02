"""GET /api/v1/analytics/summary: the sales figures of a window, from the projections."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shop.bootstrap import ShopRuntime
from shop.infrastructure.db.analytics_rebuild import PROJECTION_TABLES
from shop.infrastructure.db.schema import processed_events
from shop.settings import Settings
from tests.e2e.shop_client import (
    Account,
    Json,
    ShopClient,
    cheap_runtime,
    order_body,
    serving_in_loop,
    with_accounts,
)
from tests.support.analytics import committed_events, deliver, deliver_outbox, projection_rows

SUMMARY = "/api/v1/analytics/summary"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres_redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def runtime(request: pytest.FixtureRequest) -> ShopRuntime:
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    return cheap_runtime(with_accounts(settings.with_overrides(analytics_cache_seconds=0)))


@pytest.fixture
async def shop(runtime: ShopRuntime) -> AsyncIterator[ShopClient]:
    async with serving_in_loop(runtime) as client:
        yield ShopClient(client)


async def summary(shop: ShopClient, **params: str) -> Json:
    response = await shop.client.get(SUMMARY, params=params,
                                     headers=(await shop.admin()).headers)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def placed(shop: ShopClient, customer: Account, *lines: tuple[Json, int],
                 token: str = "tok_visa") -> Json:
    response = await shop.place(customer, order_body(*lines, token=token))
    assert response.status_code in (201, 402), response.text
    order: Json = response.json() if response.status_code == 201 else {}
    return order


async def a_mix_of_orders(shop: ShopClient) -> dict[str, Json]:
    """Paid, shipped, paid-then-cancelled (refunded) and declined orders of two products."""
    boots = await shop.product(name="Boots", price="59.99", stock=50)
    socks = await shop.product(name="Socks", price="4.95", stock=7)
    ann = await shop.customer("ann")
    paid = await placed(shop, ann, (boots, 1), (socks, 2))
    shipped = await placed(shop, ann, (boots, 2))
    admin = (await shop.admin()).headers
    assert (await shop.client.post(f"/api/v1/orders/{shipped['id']}/ship",
                                   headers=admin)).status_code == 200
    refunded = await placed(shop, ann, (socks, 3))
    assert (await shop.client.post(f"/api/v1/orders/{refunded['id']}/cancel",
                                   headers=admin)).status_code == 200
    await placed(shop, ann, (boots, 5), token="tok_chargeDeclined")
    return {"boots": boots, "socks": socks, "paid": paid, "shipped": shipped}


async def test_the_summary_counts_paid_and_shipped_orders_only(
    shop: ShopClient, runtime: ShopRuntime
) -> None:
    made = await a_mix_of_orders(shop)
    await deliver_outbox(runtime)

    body = await summary(shop)

    revenue = Decimal(made["paid"]["total"]) + Decimal(made["shipped"]["total"])
    assert body["revenue"] == f"{revenue:.2f}" == "189.87"
    assert body["orders_count"] == 2
    assert body["average_order_value"] == "94.94"  # 189.87 / 2 = 94.935, half to even
    assert body["orders_by_status"] == {"Pending": 0, "Paid": 1, "Shipped": 1, "Cancelled": 2}
    assert body["currency"] == "USD"
    assert body["top_products"] == [
        {"product_id": made["boots"]["id"], "name": "Boots", "units": 3, "revenue": "179.97"},
        {"product_id": made["socks"]["id"], "name": "Socks", "units": 2, "revenue": "9.90"},
    ]
    # Socks: 7 - 2 paid; the cancelled order's 3 came back.
    assert body["low_stock"] == [
        {"product_id": made["socks"]["id"], "name": "Socks", "stock": 5}]
    days = body["revenue_by_day"]
    today = datetime.now(UTC).date().isoformat()
    assert len(days) == 30
    assert days[-1] == {"date": today, "revenue": "189.87", "orders": 2}
    assert all(day == {"date": day["date"], "revenue": "0.00", "orders": 0}
               for day in days[:-1])


async def test_a_rebuild_gives_the_live_projections_to_the_cent(
    shop: ShopClient, runtime: ShopRuntime
) -> None:
    await a_mix_of_orders(shop)
    await deliver_outbox(runtime)
    live_rows = await projection_rows(runtime.engine)
    live = await summary(shop)

    report = await runtime.container.rebuild_analytics()()

    assert report.orders == 4
    assert await projection_rows(runtime.engine) == live_rows
    assert await summary(shop) == live


async def test_redelivered_and_reordered_events_change_nothing(
    shop: ShopClient, runtime: ShopRuntime
) -> None:
    await a_mix_of_orders(shop)
    events = await committed_events(runtime.engine)
    await deliver(runtime, events)
    once = await projection_rows(runtime.engine)

    await deliver(runtime, events)
    assert await projection_rows(runtime.engine) == once

    await runtime.container.rebuild_analytics()()
    await deliver(runtime, list(reversed(events)))  # a rebuild forgets no processed event
    assert await projection_rows(runtime.engine) == once


async def test_status_events_arriving_before_the_placement_still_add_up(
    shop: ShopClient, runtime: ShopRuntime
) -> None:
    await a_mix_of_orders(shop)
    events = await committed_events(runtime.engine)
    await deliver(runtime, events)
    in_order = await projection_rows(runtime.engine)
    await runtime.container.rebuild_analytics()()
    assert await projection_rows(runtime.engine) == in_order

    async with runtime.engine.begin() as conn:  # a fresh install, events arriving newest first
        for table in (*PROJECTION_TABLES, processed_events):
            await conn.execute(table.delete())
    await deliver(runtime, list(reversed(events)))
    assert await projection_rows(runtime.engine) == in_order


async def test_a_timestamp_window_counts_only_the_orders_placed_inside_it(
    shop: ShopClient, runtime: ShopRuntime
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    made = await a_mix_of_orders(shop)
    after = datetime.now(UTC) + timedelta(seconds=1)
    await deliver_outbox(runtime)

    inside = await summary(shop, **{"from": before.isoformat(), "to": after.isoformat()})
    assert inside["revenue"] == "189.87"
    assert inside["top_products"][0]["product_id"] == made["boots"]["id"]
    assert inside["revenue_by_day"][-1]["revenue"] == "189.87"

    later = await summary(shop, **{"from": after.isoformat(),
                                   "to": (after + timedelta(hours=1)).isoformat()})
    assert later["revenue"] == "0.00"
    assert later["orders_by_status"] == {"Pending": 0, "Paid": 0, "Shipped": 0,
                                         "Cancelled": 0}
    assert later["top_products"] == []


async def test_dates_and_offsets_are_read_in_utc(shop: ShopClient) -> None:
    body = await summary(shop, **{"from": "2026-11-01", "to": "2026-11-03T12:00:00+02:00"})
    assert body["from"] == "2026-11-01T00:00:00Z"
    assert body["to"] == "2026-11-03T10:00:00Z"
    assert [day["date"] for day in body["revenue_by_day"]] == [
        "2026-11-01", "2026-11-02", "2026-11-03"]

    naive = await summary(shop, **{"from": "2026-11-01T06:00:00", "to": "2026-11-02"})
    assert naive["from"] == "2026-11-01T06:00:00Z"


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
    ({"from": "2026-11-10", "to": "2026-11-10"}, "to"),
    ({"from": "2025-01-01", "to": "2026-01-03"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01"}, "to"),
])
async def test_a_bad_window_is_a_400_problem(shop: ShopClient, params: dict[str, str],
                                             field: str) -> None:
    response = await shop.client.get(SUMMARY, params=params,
                                     headers=(await shop.admin()).headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_a_window_of_366_days_is_allowed(shop: ShopClient) -> None:
    body = await summary(shop, **{"from": "2025-01-01", "to": "2026-01-02"})
    assert len(body["revenue_by_day"]) == 366


async def test_the_summary_is_for_admins_only(shop: ShopClient) -> None:
    assert (await shop.client.get(SUMMARY)).status_code == 401
    customer = await shop.customer()
    forbidden = await shop.client.get(SUMMARY, headers=customer.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["status"] == 403


async def test_the_openapi_document_describes_the_window_formats(shop: ShopClient) -> None:
    document = (await shop.client.get("/schema/openapi.json")).json()
    operation = document["paths"][SUMMARY]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"from", "to", "currency"} <= set(parameters)
    for name in ("from", "to"):
        formats = {s.get("format") for s in parameters[name]["schema"]["anyOf"]}
        assert {"date", "date-time"} <= formats
        assert "ISO 8601" in parameters[name]["description"]
    assert {"400", "401", "403"} <= set(operation["responses"])




async def test_the_dashboard_page_and_its_chart_library_are_served_locally(
    shop: ShopClient,
) -> None:
    page = await shop.client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/static/dashboard/chart.umd.min.js", "/static/dashboard/dashboard.js"]
    assert "http" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', page.text))
    for asset in (*scripts, "/static/dashboard/dashboard.css"):
        assert (await shop.client.get(asset)).status_code == 200, asset
    chart = await shop.client.get("/static/dashboard/chart.umd.min.js")
    assert "Chart.js v4.6.1" in chart.text[:200]
