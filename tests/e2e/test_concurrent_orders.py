"""Concurrent orders against two real `shop serve` processes sharing PostgreSQL and Redis.

The in-process test client serves one request at a time; these tests start two
real servers (granian, their own engines and Redis clients, one relay leader
between them) and hit both at once, so stock reservation and Idempotency-Key
claims are decided by the database, across processes, as in production.
On failure, the servers' log tails are printed under "Captured stdout teardown".
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from redis.asyncio import Redis

from shop.settings import Settings
from tests.e2e.servers import ServerProcess, running_servers
from tests.e2e.shop_client import Account, ShopClient, order_body, with_accounts
from tests.support.services import asyncpg_dsn

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REQUEST_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def server_settings(postgres_redis_settings: Settings) -> Settings:
    return with_accounts(postgres_redis_settings).with_overrides(
        migrate_on_start=True, log_level="WARNING", access_log=False)


@pytest.fixture
def servers(server_settings: Settings, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    with running_servers(2, server_settings, tmp_path / "logs") as started:
        yield started


@pytest.fixture
async def clients(servers: list[ServerProcess]) -> AsyncIterator[list[ShopClient]]:
    """One client per server; each keeps up to 100 connections open to its server."""
    https = [httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_TIMEOUT_SECONDS,
                               trust_env=False) for server in servers]
    try:
        yield [ShopClient(http) for http in https]
    finally:
        for http in https:
            await http.aclose()


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(asyncpg_dsn(postgres_url))
    yield conn
    await conn.close()


async def stream_events(redis_url: str, stream: str) -> list[dict[str, str]]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(stream))
        return [fields for _, fields in entries]
    finally:
        await redis.aclose()


async def wait_for_events(redis_url: str, stream: str, *, paid: int,
                          within: float = 20.0) -> list[dict[str, str]]:
    """The stream once it holds `paid` OrderPaid events (the relay publishes after commit)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        events = await stream_events(redis_url, stream)
        if sum(e["type"] == "OrderPaid" for e in events) >= paid:
            return events
        if asyncio.get_running_loop().time() > deadline:
            return events
        await asyncio.sleep(0.1)


async def test_fifty_concurrent_orders_over_two_processes_sell_exactly_the_stock(
    clients: list[ShopClient], db: asyncpg.Connection, server_settings: Settings
) -> None:
    first, second = clients
    scarce = await first.product(price="9.99", stock=10, name="Last ten")
    plenty = await first.product(price="1.00", stock=1000, name="Plenty")
    customers: list[Account] = [await clients[i % 2].customer(f"buyer{i}") for i in range(10)]

    answers = await asyncio.gather(*(
        clients[i % 2].place(customers[i % len(customers)],
                             order_body((scarce, 1), (plenty, 1)))
        for i in range(50)
    ))

    codes = [a.status_code for a in answers]
    assert sorted(codes) == [201] * 10 + [409] * 40, [
        a.text for a in answers if a.status_code not in {201, 409}]
    paid = [a.json() for a in answers if a.status_code == 201]
    assert {o["status"] for o in paid} == {"Paid"}
    assert {o["total"] for o in paid} == {"10.99"}
    assert {a.headers["content-type"].split(";")[0] for a in answers
            if a.status_code == 409} == {"application/problem+json"}
    # Both processes see the same, final stock.
    for shop in clients:
        assert await shop.stocks(scarce, plenty) == [0, 990]
    # ... and so does the database: ten paid orders, no other order kept, no unit sold twice.
    statuses = await db.fetch("SELECT status, count(*) AS n FROM orders GROUP BY status")
    assert {row["status"]: row["n"] for row in statuses} == {"Paid": 10}
    sold = await db.fetchval(
        "SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = $1",
        uuid.UUID(scarce["id"]))
    assert sold == 10
    assert await db.fetchval("SELECT min(on_hand) FROM stock") >= 0
    assert await second.stock(scarce) == 0

    # Every committed event reaches the stream once, whichever process committed it.
    assert server_settings.redis_url is not None
    events = await wait_for_events(server_settings.redis_url, server_settings.events_stream,
                                   paid=10)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    kinds = [e["type"] for e in events]
    assert (kinds.count("OrderPlaced"), kinds.count("OrderPaid")) == (10, 10)
    scarce_moves = [json.loads(e["data"]) for e in events if e["type"] == "StockChanged"
                    and json.loads(e["data"])["product_id"] == scarce["id"]]
    assert sorted(m["delta"] for m in scarce_moves) == [-1] * 10 + [10]  # + the opening stock
    assert sorted(m["stock"] for m in scarce_moves if m["delta"] == -1) == list(range(10))


async def test_one_idempotency_key_sent_twenty_times_over_two_processes_makes_one_order(
    clients: list[ShopClient], db: asyncpg.Connection
) -> None:
    first, _ = clients
    product = await first.product(price="5.00", stock=50)
    ann = await first.customer("ann")
    body = order_body((product, 3))

    answers = await asyncio.gather(*(
        clients[i % 2].place(ann, body, idempotency_key="checkout-42") for i in range(20)))

    assert {a.status_code for a in answers} <= {200, 201}, [
        a.text for a in answers if a.status_code not in {200, 201}]
    order_ids = {a.json()["id"] for a in answers}
    assert len(order_ids) == 1
    assert {a.json()["status"] for a in answers} == {"Paid"}
    assert {a.json()["total"] for a in answers} == {"15.00"}
    for shop in clients:
        assert await shop.stock(product) == 47
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 1
    (order_id,) = order_ids
    assert str(await db.fetchval("SELECT id FROM orders")) == order_id
    # The same key with another body is refused by either process, and moves nothing.
    for shop in clients:
        other = await shop.place(ann, order_body((product, 4)), idempotency_key="checkout-42")
        assert other.status_code in {409, 422}, other.text
    assert await first.stock(product) == 47


async def test_orders_naming_the_same_products_in_opposite_orders_all_succeed(
    clients: list[ShopClient], db: asyncpg.Connection
) -> None:
    first, _ = clients
    left = await first.product(price="2.00", stock=1000)
    right = await first.product(price="3.00", stock=1000)
    customers = [await clients[i % 2].customer(f"buyer{i}") for i in range(6)]

    answers = await asyncio.gather(*(
        clients[i % 2].place(customers[i % 6],
                             order_body((left, 1), (right, 1)) if i % 2 == 0
                             else order_body((right, 1), (left, 1)))
        for i in range(60)
    ))

    assert [a.status_code for a in answers] == [201] * 60, sorted(
        {a.text[:200] for a in answers if a.status_code != 201})
    for shop in clients:
        assert await shop.stocks(left, right) == [940, 940]
    statuses = await db.fetch("SELECT status, count(*) AS n FROM orders GROUP BY status")
    assert {row["status"]: row["n"] for row in statuses} == {"Paid": 60}
