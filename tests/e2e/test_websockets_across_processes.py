"""The feeds across server processes: two `shop serve` sharing PostgreSQL and Redis.

A change made through one process reaches the websocket clients of the other
(and its own) once, through Redis pub/sub under the test's own key prefix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shop.settings import Settings
from tests.e2e.feeds import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    JWT_SECRET,
    FeedClient,
    ShopApi,
)
from tests.e2e.servers import ServerProcess, running_servers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def servers(postgres_url: str, redis_url: str, redis_prefix: str,
            tmp_path: Path) -> Iterator[list[ServerProcess]]:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=postgres_url, redis_url=redis_url,
        redis_prefix=redis_prefix, events_stream=f"{redis_prefix}events", migrate_on_start=True,
        jwt_secret=JWT_SECRET, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
        outbox_poll_seconds=0.05,
    )
    with running_servers(2, settings, tmp_path / "logs") as pair:
        yield pair


@pytest.fixture
async def apis(servers: list[ServerProcess]) -> AsyncIterator[tuple[ShopApi, ShopApi]]:
    first, second = ShopApi(servers[0].base_url), ShopApi(servers[1].base_url)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_a_stock_change_made_through_one_process_reaches_subscribers_of_every_process_once(
    servers: list[ServerProcess], apis: tuple[ShopApi, ShopApi]
) -> None:
    a, b = servers
    api_a, api_b = apis
    admin = await api_b.admin()
    product = await api_b.product(admin, stock=10)
    buyer = await api_a.customer()
    async with FeedClient.connect(f"{a.ws_url}/ws/inventory") as on_a, \
            FeedClient.connect(f"{b.ws_url}/ws/inventory") as on_b:
        await on_a.subscribe(product["id"])
        await on_b.subscribe(product["id"])

        await api_b.adjust_stock(admin, product["id"], delta=3)
        first_a, first_b = await on_a.receive(), await on_b.receive()
        await api_a.place_order(buyer, product["id"])
        second_a, second_b = await on_a.receive(), await on_b.receive()

    for first, second in ((first_a, first_b), (second_a, second_b)):
        assert first == second
    assert (first_a["type"], first_a["product_id"], first_a["stock"]) == (
        "stock_changed", product["id"], 13)
    assert (second_a["product_id"], second_a["stock"]) == (product["id"], 12)


async def test_an_order_placed_through_one_process_is_pushed_to_its_owner_and_admins_on_another(
    servers: list[ServerProcess], apis: tuple[ShopApi, ShopApi]
) -> None:
    a = servers[0]
    api_a, api_b = apis
    admin = await api_a.admin()
    product = await api_a.product(admin, stock=10)
    owner, stranger = await api_a.customer(), await api_a.customer()
    async with FeedClient.connect(f"{a.ws_url}/ws/orders?token={owner.token}") as owner_feed, \
            FeedClient.connect(f"{a.ws_url}/ws/orders?token={stranger.token}") as stranger_feed, \
            FeedClient.connect(f"{a.ws_url}/ws/orders?token={admin.token}") as admin_feed:

        order = await api_b.place_order(owner, product["id"])
        owner_seen = [await owner_feed.receive(), await owner_feed.receive()]
        admin_seen = [await admin_feed.receive(), await admin_feed.receive()]
        stranger_order = await api_b.place_order(stranger, product["id"])
        stranger_first = await stranger_feed.receive()

    expected = [(order["id"], "Pending"), (order["id"], "Paid")]
    assert [(m["order_id"], m["status"]) for m in owner_seen] == expected
    assert [(m["order_id"], m["status"]) for m in admin_seen] == expected
    assert stranger_first["order_id"] == stranger_order["id"]

