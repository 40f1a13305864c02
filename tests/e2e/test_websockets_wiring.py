"""How `create_app` wires the feeds: the runtime's one notifier pushes once, whatever the apps.

The in-process test runs on both profiles (memory and Redis Channels
backends) and listens on the app's Channels plugin directly, next to its
websocket clients.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import cast

from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.bootstrap import ShopRuntime, build_runtime
from shop.interfaces.http.app import create_app
from shop.interfaces.http.realtime.channels import ChannelNames, FeedChannels
from shop.interfaces.http.realtime.messages import decode_frame
from shop.interfaces.http.realtime.notifier import ChannelsRealtimeNotifier
from shop.interfaces.http.realtime.plugin import realtime_feeds
from shop.settings import Settings
from tests.e2e.feeds import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, bearer


async def admin_token(client: AsyncTestClient[Litestar]) -> str:
    response = await client.post("/api/v1/auth/token",
                                 json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_building_the_feeds_twice_for_one_runtime_never_touches_its_bus() -> None:
    # No `bus` at all: the pushes are in the bus's table from the container, so a plugin
    # that tried to hook them onto the bus again would fail here.
    runtime = cast(ShopRuntime, SimpleNamespace(
        settings=Settings(), redis=None,
        realtime_notifier=ChannelsRealtimeNotifier(ChannelNames("shop:"))))

    first, second = realtime_feeds(runtime), realtime_feeds(runtime)

    assert first is not second  # each app still gets its own plugin


async def test_an_app_built_twice_on_one_runtime_pushes_each_stock_change_once(
    settings: Settings,
) -> None:
    runtime = build_runtime(settings.with_overrides(
        admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET))
    create_app(runtime=runtime)
    second = create_app(runtime=runtime)
    frames: list[bytes] = []

    async with AsyncTestClient(app=second) as client:
        headers = bearer(await admin_token(client))
        category = (await client.post("/api/v1/categories", json={"name": "Wiring"},
                                      headers=headers)).json()
        product = (await client.post("/api/v1/products", headers=headers, json={
            "name": "Once", "price": "10.00", "category_id": category["id"], "stock": 10,
        })).json()
        feeds = second.plugins.get(FeedChannels)
        # The plugin lives on the test client's portal loop: subscribe there.
        subscriber = client.blocking_portal.call(
            feeds.open_subscription, [feeds.names.stock(product["id"])])
        subscriber.sink = frames.append

        for delta in (3, 4):
            response = await client.post(f"/api/v1/inventory/{product['id']}/adjustments",
                                         json={"delta": delta, "reason": "recount"},
                                         headers=headers)
            assert response.status_code == 200, response.text
        for _ in range(500):  # a bound, not a timing assertion
            if 17 in stocks_in(frames):
                break
            await asyncio.sleep(0.01)

    # The creation's own change (10) may or may not be heard: it was published around the
    # time of subscribing. A duplicate of 13 would have arrived before 17.
    assert [stock for stock in stocks_in(frames) if stock != 10] == [13, 17]


def stocks_in(frames: list[bytes]) -> list[int]:
    return [json.loads(decode_frame(frame)[1])["stock"] for frame in list(frames)]
