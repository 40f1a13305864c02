"""The websocket feeds against a real `shop serve` (granian), with a real websocket client.

One server for the module on the embedded profile (SQLite, memory Channels
backend); every test makes its own products and customers, so tests do not
see each other's changes. The server pings every second, so the tests also
show that a client answering pings keeps its connection across slow steps.

"Not received" is shown without waiting for silence: the client then receives
a change it does want, and messages on one connection arrive in publish order,
so anything it should not have received would have come first.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import jwt
import pytest

from shop.settings import Settings
from tests.e2e.feeds import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    JWT_SECRET,
    Account,
    FeedClient,
    ShopApi,
    bearer,
)
from tests.e2e.servers import ServerProcess, running_servers
from tests.support.prometheus import sample_value

HEARTBEAT_SECONDS = 1.0
MAX_SUBSCRIPTIONS = 100
ACCOUNT_CHECK_SECONDS = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root: Path = tmp_path_factory.mktemp("ws-server")
    settings = Settings(
        data_dir=root / "data", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
        jwt_secret=JWT_SECRET, ws_heartbeat_seconds=HEARTBEAT_SECONDS,
        ws_max_subscriptions=MAX_SUBSCRIPTIONS, outbox_poll_seconds=0.05,
        account_status_cache_seconds=ACCOUNT_CHECK_SECONDS,
    )
    with running_servers(1, settings, root / "logs") as (only,):
        yield only


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[ShopApi]:
    client = ShopApi(server.base_url)
    yield client
    await client.aclose()


@pytest.fixture
async def admin(api: ShopApi) -> Account:
    return await api.admin()


def inventory_url(server: ServerProcess) -> str:
    return f"{server.ws_url}/ws/inventory"


def orders_url(server: ServerProcess, token: str) -> str:
    return f"{server.ws_url}/ws/orders?token={token}"


# --- /ws/inventory ---------------------------------------------------------------------------


async def test_a_subscriber_receives_the_stock_change_of_an_admin_adjustment(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(product["id"])

        adjusted = await api.adjust_stock(admin, product["id"], delta=3)

        message = await feed.receive()
    assert adjusted["stock"] == 13
    assert message.keys() == {"type", "product_id", "stock", "at"}
    assert message["type"] == "stock_changed"
    assert message["product_id"] == product["id"]
    assert message["stock"] == 13
    assert message["at"].endswith(("Z", "+00:00"))


async def test_a_subscriber_receives_the_stock_change_of_an_order(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    buyer = await api.customer()
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(product["id"])

        await api.place_order(buyer, product["id"])

        message = await feed.receive()
    assert message["type"] == "stock_changed"
    assert (message["product_id"], message["stock"]) == (product["id"], 9)


async def test_a_subscriber_receives_only_the_products_it_subscribed_to(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    followed = await api.product(admin, stock=10)
    other = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(followed["id"])

        await api.adjust_stock(admin, other["id"], delta=5)
        await api.adjust_stock(admin, followed["id"], delta=1)

        message = await feed.receive()
    assert (message["product_id"], message["stock"]) == (followed["id"], 11)


async def test_clients_following_different_products_each_receive_only_their_own(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    first, second = await api.product(admin, stock=1), await api.product(admin, stock=2)
    async with FeedClient.connect(inventory_url(server)) as feed_one, \
            FeedClient.connect(inventory_url(server)) as feed_two:
        await feed_one.subscribe(first["id"])
        await feed_two.subscribe(second["id"])

        await api.adjust_stock(admin, first["id"], delta=1)
        await api.adjust_stock(admin, second["id"], delta=1)

        assert (await feed_one.receive())["product_id"] == first["id"]
        assert (await feed_two.receive())["product_id"] == second["id"]
        await api.adjust_stock(admin, first["id"], delta=1)
        await api.adjust_stock(admin, second["id"], delta=1)
        assert (await feed_one.receive())["stock"] == 3
        assert (await feed_two.receive())["stock"] == 4


async def test_an_unsubscribed_product_is_no_longer_pushed(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    kept, dropped = await api.product(admin, stock=10), await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.send({"type": "subscribe", "product_ids": [kept["id"], dropped["id"]]})
        assert (await feed.receive())["type"] == "subscribed"

        await feed.unsubscribe(dropped["id"])
        await api.adjust_stock(admin, dropped["id"], delta=2)
        await api.adjust_stock(admin, kept["id"], delta=1)

        message = await feed.receive()
    assert (message["product_id"], message["stock"]) == (kept["id"], 11)


async def test_a_product_can_be_followed_again_after_unsubscribing_everything(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(product["id"])
        await feed.unsubscribe(product["id"])
        await feed.subscribe(product["id"])

        await api.adjust_stock(admin, product["id"], delta=-4)

        assert (await feed.receive())["stock"] == 6


@pytest.mark.parametrize(
    "malformed",
    [
        "not json",
        "[1, 2]",
        '{"type": "subscribe"}',
        '{"type": "subscribe", "product_ids": ["not-a-uuid"]}',
        '{"type": "subscribe", "product_ids": "abc"}',
        '{"type": "shout", "product_ids": []}',
        '{"product_ids": []}',
        '{"type": "subscribe", "product_ids": [], "extra": 1}',
    ],
)
async def test_a_malformed_message_is_answered_with_an_error_and_the_connection_stays_open(
    server: ServerProcess, api: ShopApi, admin: Account, malformed: str
) -> None:
    product = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.send(malformed)

        error = await feed.receive()
        await feed.subscribe(product["id"])
        await api.adjust_stock(admin, product["id"], delta=1)
        message = await feed.receive()
    assert error["type"] == "error"
    assert isinstance(error["detail"], str) and error["detail"]
    assert message["stock"] == 11


async def test_subscribing_beyond_the_limit_is_refused_whole_and_the_connection_stays_open(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    filler = [str(uuid.uuid4()) for _ in range(MAX_SUBSCRIPTIONS - 1)]
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(*filler)

        await feed.send({"type": "subscribe",
                         "product_ids": [str(uuid.uuid4()), str(uuid.uuid4())]})
        refused = await feed.receive()
        await feed.subscribe(product["id"])  # exactly the limit: accepted
        await api.adjust_stock(admin, product["id"], delta=1)
        message = await feed.receive()
    assert refused["type"] == "error"
    assert str(MAX_SUBSCRIPTIONS) in refused["detail"]
    assert (message["product_id"], message["stock"]) == (product["id"], 11)


async def test_a_client_that_answers_pings_stays_connected(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(product["id"])
        for _ in range(200):  # a bound, not an assertion: three pings take about 3 s
            if feed.pings >= 3:
                break
            await asyncio.sleep(0.05)

        await api.adjust_stock(admin, product["id"], delta=1)
        message = await feed.receive()
    assert feed.pings >= 3
    assert message["stock"] == 11


async def test_a_client_that_does_not_answer_pings_is_closed_with_4408(
    server: ServerProcess,
) -> None:
    async with FeedClient.connect(inventory_url(server), answer_pings=False) as feed:
        closed = await feed.closed()
    assert feed.pings >= 1
    assert closed.code == 4408


# --- /ws/orders ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
async def test_the_order_feed_closes_with_4401_without_a_valid_token(
    server: ServerProcess, token: str
) -> None:
    async with FeedClient.connect(orders_url(server, token)) as feed:
        closed = await feed.closed()
    assert closed.code == 4401


async def test_the_order_feed_closes_with_4401_when_the_token_is_missing(
    server: ServerProcess,
) -> None:
    async with FeedClient.connect(f"{server.ws_url}/ws/orders") as feed:
        closed = await feed.closed()
    assert closed.code == 4401


def short_lived_token(account: Account, seconds: int) -> str:
    """An access token of `account` as the server signs them, expiring in `seconds`."""
    now = int(time.time())
    claims = {"iss": "shop", "sub": account.id, "role": "customer", "iat": now,
              "exp": now + seconds, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


async def disable(api: ShopApi, admin: Account, customer: Account) -> None:
    response = await api.http.patch(f"/api/v1/customers/{customer.id}",
                                    json={"disabled": True}, headers=bearer(admin.token))
    assert response.status_code == 200, response.text


async def test_an_open_order_feed_is_closed_with_4401_when_its_token_expires(
    server: ServerProcess, api: ShopApi,
) -> None:
    customer = await api.customer()
    async with FeedClient.connect(orders_url(server, short_lived_token(customer, 2))) as feed:
        closed = await feed.closed()
    assert (closed.code, closed.reason) == (4401, "the access token expired")


async def test_an_open_order_feed_is_closed_with_4401_when_its_account_is_disabled(
    server: ServerProcess, api: ShopApi, admin: Account,
) -> None:
    customer = await api.customer()
    async with FeedClient.connect(orders_url(server, customer.token)) as feed:
        await disable(api, admin, customer)
        closed = await feed.closed()
    assert (closed.code, closed.reason) == (4401, "the account was disabled")


async def test_the_order_feed_refuses_the_token_of_a_disabled_account(
    server: ServerProcess, api: ShopApi, admin: Account,
) -> None:
    customer = await api.customer()
    await disable(api, admin, customer)
    async with FeedClient.connect(orders_url(server, customer.token)) as feed:
        closed = await feed.closed()
    assert closed.code == 4401


async def test_order_status_is_pushed_to_its_owner_and_admins_only(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    owner, stranger = await api.customer(), await api.customer()
    async with FeedClient.connect(orders_url(server, owner.token)) as owner_feed, \
            FeedClient.connect(orders_url(server, stranger.token)) as stranger_feed, \
            FeedClient.connect(orders_url(server, admin.token)) as admin_feed:

        order = await api.place_order(owner, product["id"])
        owner_seen = [await owner_feed.receive(), await owner_feed.receive()]
        admin_seen = [await admin_feed.receive(), await admin_feed.receive()]
        own_order = await api.place_order(stranger, product["id"])
        stranger_first = await stranger_feed.receive()

    assert order["status"] == "Paid"
    expected = [("order_status_changed", order["id"], "Pending"),
                ("order_status_changed", order["id"], "Paid")]
    assert [(m["type"], m["order_id"], m["status"]) for m in owner_seen] == expected
    assert [(m["type"], m["order_id"], m["status"]) for m in admin_seen] == expected
    assert owner_seen[0].keys() == {"type", "order_id", "status", "at"}
    assert stranger_first["order_id"] == own_order["id"]


async def test_the_order_feed_answers_other_messages_with_an_error_and_stays_open(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    buyer = await api.customer()
    async with FeedClient.connect(orders_url(server, buyer.token)) as feed:
        await feed.send({"type": "subscribe", "product_ids": []})
        error = await feed.receive()
        order = await api.place_order(buyer, product["id"])
        message = await feed.receive()
    assert error["type"] == "error"
    assert message["order_id"] == order["id"]


async def test_the_websocket_metrics_count_connections_and_messages(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    product = await api.product(admin, stock=10)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(product["id"])
        await api.adjust_stock(admin, product["id"], delta=1)
        await feed.receive()
        metrics = (await api.http.get("/metrics")).text

    assert 'shop_ws_connections{feed="inventory"}' in metrics
    assert 'shop_ws_messages_sent_total{feed="inventory",type="stock_changed"}' in metrics
    assert 'shop_ws_delivery_seconds_count{feed="inventory"}' in metrics
    assert "shop_ws_messages_dropped_total" in metrics
    assert "shop_ws_clients_dropped_total" in metrics



# --- metrics ---------------------------------------------------------------------------------


async def scrape(api: ShopApi) -> str:
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    return response.text


async def scrape_once_no_product_is_followed(api: ShopApi) -> str:
    """Connections of earlier tests are closed by the client; the server lets go just after."""
    deadline = asyncio.get_running_loop().time() + 10.0
    while True:
        text = await scrape(api)
        followed = sample_value(text, SUBSCRIPTIONS, INVENTORY)
        if followed == 0 or asyncio.get_running_loop().time() > deadline:
            return text
        await asyncio.sleep(0.05)


SUBSCRIPTIONS = "shop_ws_subscriptions"
INVENTORY = {"feed": "inventory"}


async def test_metrics_count_each_followed_product_and_time_the_broker_publish(
    server: ServerProcess, api: ShopApi, admin: Account
) -> None:
    first, second = await api.product(admin), await api.product(admin)
    inventory = INVENTORY
    before = await scrape_once_no_product_is_followed(api)
    async with FeedClient.connect(inventory_url(server)) as feed:
        await feed.subscribe(first["id"], second["id"])
        following = await scrape(api)
        await feed.unsubscribe(second["id"])
        after_unsubscribe = await scrape(api)
        await api.adjust_stock(admin, first["id"], delta=1)
        await feed.receive()
        published = await scrape(api)

    assert sample_value(before, SUBSCRIPTIONS, inventory) == 0
    assert sample_value(following, SUBSCRIPTIONS, inventory) == 2
    assert sample_value(after_unsubscribe, SUBSCRIPTIONS, inventory) == 1
    publishes = "shop_realtime_publish_duration_seconds_count"
    assert sample_value(published, publishes, inventory) > \
        sample_value(before, publishes, inventory)
