"""Recommendations through the real app: known baskets in paid orders, then the ranking."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from shop.application.consumers import ReceivedEvent
from shop.bootstrap import ShopRuntime
from shop.settings import Settings
from tests.e2e.helpers import Json, assert_problem
from tests.e2e.shop_client import (
    Account,
    ShopClient,
    cheap_runtime,
    serving_in_loop,
    with_accounts,
)
from tests.support.analytics import deliver_outbox


class Shop:
    def __init__(self, api: ShopClient, runtime: ShopRuntime) -> None:
        self.api = api
        self.runtime = runtime
        self.products: dict[str, Json] = {}

    async def product(self, name: str, stock: int = 10) -> None:
        product = await self.api.product(name=name, stock=stock)
        await self.runtime.container.product_embedding_indexer().refresh(
            uuid.UUID(product["id"]))
        self.products[name] = product

    async def bought(self, account: Account, *names: str) -> Json:
        order = await self.api.paid_order(account, *((self.products[n], 1) for n in names))
        await self._deliver("OrderPaid", order)
        return order

    async def cancelled(self, account: Account, order: Json) -> None:
        response = await self.api.client.post(f"/api/v1/orders/{order['id']}/cancel",
                                              headers=account.headers)
        assert response.status_code == 200, response.text
        await self._deliver("OrderCancelled", order)

    async def _deliver(self, event_type: str, order: Json) -> None:
        """What the consumer runtime does, until it feeds this consumer itself."""
        projection = self.runtime.container.co_purchase_projection()
        await projection.handle(ReceivedEvent(type=event_type, event_id=uuid.uuid4(),
                                              occurred_at=datetime.now(UTC),
                                              data={"order_id": order["id"]}))

    async def for_product(self, name: str, limit: int = 3) -> list[tuple[str, str]]:
        response = await self.api.client.get(
            f"/api/v1/products/{self.products[name]['id']}/recommendations",
            params={"limit": limit})
        assert response.status_code == 200, response.text
        return [(i["product"]["name"], i["reason"]) for i in response.json()["items"]]


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Shop]:
    runtime = cheap_runtime(with_accounts(sqlite_settings))
    async with serving_in_loop(runtime) as client:
        shop = Shop(ShopClient(client), runtime)
        for name in ("Dome tent", "Tent pegs", "Sleeping bag", "Bottled water",
                     "Camping stove", "Trekking poles"):
            await shop.product(name)
        yield shop


async def test_products_bought_together_rank_by_lift_and_similar_ones_top_up(
    shop: Shop,
) -> None:
    buyers = [await shop.api.customer(f"buyer{n}") for n in range(3)]
    await shop.bought(buyers[0], "Dome tent", "Tent pegs", "Bottled water")
    await shop.bought(buyers[1], "Dome tent", "Tent pegs", "Bottled water")
    await shop.bought(buyers[2], "Dome tent", "Sleeping bag", "Bottled water")
    for buyer in buyers:
        await shop.bought(buyer, "Bottled water")
    recommended = await shop.for_product("Dome tent", limit=4)
    assert recommended[:3] == [("Tent pegs", "bought_together"),
                               ("Sleeping bag", "bought_together"),
                               ("Bottled water", "bought_together")]
    assert recommended[3][1] == "similar"


async def test_a_refunded_order_stops_counting(shop: Shop) -> None:
    buyer = await shop.api.customer()
    order = await shop.bought(buyer, "Dome tent", "Trekking poles")
    assert ("Trekking poles", "bought_together") in await shop.for_product("Dome tent")
    await shop.cancelled(buyer, order)
    assert ("Trekking poles", "bought_together") not in await shop.for_product("Dome tent")


async def test_a_customer_is_never_offered_what_they_bought_or_what_is_out_of_stock(
    shop: Shop,
) -> None:
    others, me = await shop.api.customer("others"), await shop.api.customer("me")
    await shop.product("Tent lantern", stock=1)
    await shop.bought(others, "Dome tent", "Camping stove", "Tent lantern")  # the last lantern
    await shop.bought(me, "Dome tent")
    response = await shop.api.client.get("/api/v1/customers/me/recommendations",
                                         headers=me.headers)
    assert response.status_code == 200, response.text
    names = [item["product"]["name"] for item in response.json()["items"]]
    assert names[0] == "Camping stove"
    assert "Dome tent" not in names
    assert "Tent lantern" not in names


async def test_recommendation_routes_check_their_inputs(shop: Shop) -> None:
    client = shop.api.client
    assert_problem(await client.get(f"/api/v1/products/{uuid.uuid4()}/recommendations"), 404)
    assert_problem(await client.get("/api/v1/customers/me/recommendations"), 401)
    product_id = shop.products["Dome tent"]["id"]
    assert_problem(await client.get(f"/api/v1/products/{product_id}/recommendations",
                                    params={"limit": 0}), 400)


async def test_the_stock_out_forecast_puts_what_sells_first_and_is_for_admins(
    shop: Shop,
) -> None:
    """Three pegs sold today, read from the analytics projection (today counts)."""
    buyer = await shop.api.customer()
    for _ in range(3):
        await shop.api.paid_order(buyer, (shop.products["Tent pegs"], 1))
    await deliver_outbox(shop.runtime)  # what the consumer runtime does (idempotent)
    admin = await shop.api.admin()
    response = await shop.api.client.get("/api/v1/inventory/forecast",
                                         params={"horizon_days": 14, "limit": 50},
                                         headers=admin.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    first = items[0]
    assert (first["name"], first["stock"]) == ("Tent pegs", 7)
    assert set(first) == {"product_id", "name", "stock", "daily_demand", "days_until_stockout",
                          "stockout_date", "reorder_quantity", "method"}
    assert first["method"] == "sba"  # one sale day in 90: intermittent
    assert first["daily_demand"] == pytest.approx(0.95 * 3 / 90, rel=0.01)
    assert first["days_until_stockout"] == pytest.approx(7 / first["daily_demand"], rel=0.01)
    assert first["reorder_quantity"] >= 0
    assert {item["method"] for item in items[1:]} == {"no_demand"}
    assert all(item["days_until_stockout"] is None for item in items[1:])
    assert_problem(await shop.api.client.get("/api/v1/inventory/forecast",
                                             headers=buyer.headers), 403)
    assert_problem(await shop.api.client.get("/api/v1/inventory/forecast",
                                             params={"horizon_days": 0},
                                             headers=admin.headers), 400)
