"""Order events survive a Redis outage: published once Redis is back, each exactly once.

The runtime runs as a server does (background relay, Redis leader lease), but
its relay publishes through a switch that first points at a closed port: every
append fails, the relay backs off, and the outbox keeps the events. Orders are
placed, paid, declined, shipped and cancelled meanwhile; then publishing is
restored and every committed event must show up in `settings.events_stream`
exactly once, with the contract's fields, in commit order per aggregate.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, cast

import pytest
import sqlalchemy as sa
from dependency_injector import providers
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.application.customers.commands import RegisterCustomer
from shop.application.inventory.commands import AdjustStock
from shop.application.ordering.commands import CancelOrder, PlaceOrder, ShipOrder
from shop.application.shared import Principal
from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.domain.customers.values import Role
from shop.domain.ordering.errors import PaymentDeclined, PaymentUnavailable
from shop.domain.ordering.order import ItemRequest
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.infrastructure.db.outbox import OutboxMessage
from shop.infrastructure.db.schema import outbox
from shop.infrastructure.events.publishers import EventPublisher, RedisStreamPublisher
from shop.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ENTRY_FIELDS = {"type", "id", "occurred_at", "data"}
MONEY = re.compile(r"^-?\d+\.\d{2}$")
WAIT_SECONDS = 30.0


class SwitchablePublisher:
    """The relay's publisher, pointed at a dead Redis until `restore()`."""

    def __init__(self, down: EventPublisher, up: EventPublisher) -> None:
        self._down = down
        self._up = up
        self.is_up = False
        self.failed_attempts = 0

    def restore(self) -> None:
        self.is_up = True

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        if self.is_up:
            await self._up.publish(messages)
            return
        self.failed_attempts += 1
        await self._down.publish(messages)  # raises: nothing listens on port 1


@pytest.fixture
async def dead_redis() -> AsyncIterator[Redis]:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    yield client
    await client.aclose()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def switch_and_runtime(
    postgres_redis_settings: Settings, redis: Redis, dead_redis: Redis
) -> AsyncIterator[tuple[SwitchablePublisher, ShopRuntime]]:
    settings: Settings = postgres_redis_settings
    switch = SwitchablePublisher(
        down=RedisStreamPublisher(dead_redis, settings.events_stream),
        up=RedisStreamPublisher(redis, settings.events_stream),
    )
    container = Container(settings=settings)
    container.event_publisher.override(providers.Object(switch))
    container.password_hasher.override(providers.Object(
        Argon2PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)))
    runtime = ShopRuntime(container)
    await runtime.start()  # the background relay runs, and fails, from here on
    try:
        yield switch, runtime
    finally:
        switch.restore()  # so stopping (which drains) does not wait on the dead port
        await runtime.stop()


async def stream_entries(redis: Redis, stream: str) -> list[dict[str, str]]:
    entries = cast(list[tuple[str, dict[str, str]]], await redis.xrange(stream))
    return [fields for _, fields in entries]


async def outbox_rows(runtime: ShopRuntime) -> list[Any]:
    async with runtime.engine.connect() as conn:
        return list(await conn.execute(sa.select(outbox).order_by(outbox.c.id)))


async def run_the_shop_while_redis_is_down(runtime: ShopRuntime) -> dict[str, Any]:
    """Orders of every fate; returns what was made, for the checks."""
    bus = runtime.bus
    category = await bus.handle(CreateCategory(name="Shoes"))
    runner = await bus.handle(CreateProduct(name="Runner", price="19.99",
                                            category_id=category.id, stock=10))
    sock = await bus.handle(CreateProduct(name="Sock", price="0.10",
                                          category_id=category.id, stock=100))
    ann = await bus.handle(RegisterCustomer(email="ann@example.com", password="long-password-1",
                                            full_name="Ann"))
    admin = Principal(customer_id=ann.id, role=Role.ADMIN)

    def order(*lines: tuple[Any, int], token: str = "tok_visa") -> PlaceOrder:
        return PlaceOrder(customer_id=ann.id, payment_token=token,
                          items=tuple(ItemRequest(p.id, q) for p, q in lines))

    paid = await bus.handle(order((runner, 2), (sock, 5)))
    shipped = await bus.handle(order((runner, 1)))
    await bus.handle(ShipOrder(order_id=shipped.id))
    refunded = await bus.handle(order((sock, 3)))
    await bus.handle(CancelOrder(order_id=refunded.id, principal=admin))
    with pytest.raises(PaymentDeclined):
        await bus.handle(order((runner, 4), token="tok_chargeDeclined"))
    with pytest.raises(PaymentUnavailable):
        await bus.handle(order((sock, 7), token="tok_processingError"))
    await bus.handle(AdjustStock(product_id=runner.id, delta=-1, reason="damaged"))
    return {"customer": ann, "runner": runner, "sock": sock, "paid": paid,
            "shipped": shipped, "refunded": refunded}


async def test_order_events_committed_during_an_outage_are_published_once_when_it_ends(
    switch_and_runtime: tuple[SwitchablePublisher, ShopRuntime], redis: Redis
) -> None:
    switch, runtime = switch_and_runtime
    stream = runtime.settings.events_stream

    made = await run_the_shop_while_redis_is_down(runtime)
    await asyncio.sleep(0.3)  # give the background relay time to try, and fail

    rows = await outbox_rows(runtime)
    assert switch.failed_attempts >= 1
    assert await stream_entries(redis, stream) == []
    assert all(row.published_at is None for row in rows)

    switch.restore()
    async with asyncio.timeout(WAIT_SECONDS):  # the relay backs off up to 5 s between tries
        while True:
            if len(await stream_entries(redis, stream)) >= len(rows):
                break
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything published twice would show up by now
    assert await runtime.relay.drain() == 0

    entries = await stream_entries(redis, stream)
    # Exactly once: the stream holds every committed event, and nothing else.
    assert [e["id"] for e in entries] == [str(row.event_id) for row in rows]
    assert all(row.published_at is not None for row in await outbox_rows(runtime))
    for entry in entries:
        assert set(entry) == ENTRY_FIELDS, entry
        uuid.UUID(entry["id"])
        assert entry["occurred_at"].endswith(("Z", "+00:00"))
    events = [(e["type"], json.loads(e["data"])) for e in entries]
    types = [kind for kind, _ in events]
    # 3 orders paid + 1 declined + 1 failed = 5 placed; one shipped; refund, decline and failure
    # each cancel one.
    assert types.count("OrderPlaced") == 5
    assert types.count("OrderPaid") == 3
    assert types.count("OrderShipped") == 1
    assert types.count("OrderCancelled") == 3
    check_order_events(events, made)
    check_stock_events(events, made)


def check_order_events(events: list[tuple[str, dict[str, Any]]], made: dict[str, Any]) -> None:
    customer_id = str(made["customer"].id)
    placed = [data for kind, data in events if kind == "OrderPlaced"]
    for data in placed:
        assert {"order_id", "customer_id", "total", "lines"} <= data.keys()
        uuid.UUID(data["order_id"])
        assert data["customer_id"] == customer_id
        assert isinstance(data["total"], str) and MONEY.match(data["total"]), data["total"]
        assert data["lines"]
        assert sum(Decimal(line["unit_price"]) * line["quantity"] for line in data["lines"]) \
            == Decimal(data["total"])
        for line in data["lines"]:
            assert {"product_id", "quantity"} <= line.keys()
    by_order = {data["order_id"]: data for data in placed}
    paid = by_order[str(made["paid"].id)]
    assert paid["total"] == "40.48"  # 2 x 19.99 + 5 x 0.10
    assert sorted((line["product_id"], line["quantity"]) for line in paid["lines"]) == sorted(
        [(str(made["runner"].id), 2), (str(made["sock"].id), 5)])
    for kind in ("OrderPaid", "OrderShipped", "OrderCancelled"):
        for data in (data for k, data in events if k == kind):
            assert data["order_id"] in by_order, (kind, data)
    assert str(made["shipped"].id) in {d["order_id"] for k, d in events if k == "OrderShipped"}
    assert str(made["refunded"].id) in {d["order_id"] for k, d in events
                                        if k == "OrderCancelled"}
    # Per order, the story is told in the order it happened.
    stories: dict[str, list[str]] = defaultdict(list)
    for kind, data in events:
        if kind.startswith("Order"):
            stories[data["order_id"]].append(kind)
    assert stories[str(made["paid"].id)] == ["OrderPlaced", "OrderPaid"]
    assert stories[str(made["shipped"].id)] == ["OrderPlaced", "OrderPaid", "OrderShipped"]
    assert stories[str(made["refunded"].id)] == ["OrderPlaced", "OrderPaid", "OrderCancelled"]
    assert sorted(map(tuple, stories.values())) == sorted([
        ("OrderPlaced", "OrderPaid"),
        ("OrderPlaced", "OrderPaid", "OrderShipped"),
        ("OrderPlaced", "OrderPaid", "OrderCancelled"),
        ("OrderPlaced", "OrderCancelled"),
        ("OrderPlaced", "OrderCancelled"),
    ])


def check_stock_events(events: list[tuple[str, dict[str, Any]]], made: dict[str, Any]) -> None:
    """Every stock move is there, and per product the levels chain up in stream order."""
    moves: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for kind, data in events:
        if kind == "StockChanged":
            assert {"product_id", "stock", "delta"} <= data.keys()
            assert isinstance(data["stock"], int) and isinstance(data["delta"], int)
            assert data["stock"] >= 0
            moves[data["product_id"]].append((data["delta"], data["stock"]))
    for product_moves in moves.values():
        level = 0
        for delta, stock in product_moves:
            level += delta
            assert stock == level, product_moves
    runner, sock = str(made["runner"].id), str(made["sock"].id)
    # opening 10; paid -2; shipped -1; declined -4 then +4; adjustment -1
    assert [d for d, _ in moves[runner]] == [10, -2, -1, -4, 4, -1]
    assert moves[runner][-1][1] == 6
    # opening 100; paid -5; refunded -3 then +3; failed -7 then +7
    assert [d for d, _ in moves[sock]] == [100, -5, -3, 3, -7, 7]
    assert moves[sock][-1][1] == 95
