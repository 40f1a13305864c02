"""The outbox relay on PostgreSQL and Redis: after commit, in order, at least once."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.bootstrap import ShopRuntime, build_runtime
from shop.infrastructure.events.leader_lock import AlwaysLeader, RedisLeaderLock
from shop.infrastructure.events.publishers import RedisStreamPublisher
from shop.infrastructure.events.relay import OutboxRelay
from shop.settings import Settings


@pytest.fixture
async def runtime(postgres_redis_settings: Settings) -> AsyncIterator[ShopRuntime]:
    """A runtime whose background relay is not started: the tests drive relaying."""
    runtime = build_runtime(postgres_redis_settings)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def stream_entries(redis: Redis, stream: str) -> list[dict[str, str]]:
    return [fields for _, fields in await redis.xrange(stream)]


async def place_catalog(runtime: ShopRuntime) -> None:
    category = await runtime.bus.handle(CreateCategory(name="Shoes"))
    await runtime.bus.handle(
        CreateProduct(name="Runner", price="10.00", category_id=category.id, stock=3)
    )


async def test_committed_events_reach_the_stream_with_the_contract_fields(
    runtime: ShopRuntime, redis: Redis
) -> None:
    await place_catalog(runtime)
    assert await stream_entries(redis, runtime.settings.events_stream) == []  # not yet relayed

    assert await runtime.relay.drain() == 3

    entries = await stream_entries(redis, runtime.settings.events_stream)
    assert [e["type"] for e in entries] == ["CategoryCreated", "ProductCreated", "StockChanged"]
    stock = next(e for e in entries if e["type"] == "StockChanged")
    assert set(stock) == {"type", "id", "occurred_at", "data"}
    uuid.UUID(stock["id"])
    assert stock["occurred_at"].endswith("Z")
    data = json.loads(stock["data"])
    assert data["stock"] == 3 and data["delta"] == 3 and "product_id" in data


async def test_an_outage_delays_events_and_loses_or_doubles_none(
    runtime: ShopRuntime, redis: Redis
) -> None:
    stream = runtime.settings.events_stream
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    broken = OutboxRelay(runtime.engine, RedisStreamPublisher(dead, stream), AlwaysLeader())
    await place_catalog(runtime)
    await place_catalog(runtime)

    with pytest.raises(Exception, match=r"(?i)connect"):
        await broken.relay_once()
    await dead.aclose()
    assert await stream_entries(redis, stream) == []

    assert await runtime.relay.drain() == 6
    assert await runtime.relay.drain() == 0
    entries = await stream_entries(redis, stream)
    ids = [e["id"] for e in entries]
    assert len(ids) == 6 and len(set(ids)) == 6
    created = [json.loads(e["data"]).get("category_id") for e in entries
               if e["type"] == "CategoryCreated"]
    assert len(created) == 2


async def test_events_of_one_aggregate_leave_in_commit_order(
    runtime: ShopRuntime, redis: Redis
) -> None:
    from shop.application.catalog.commands import UpdateProduct

    category = await runtime.bus.handle(CreateCategory(name="Shoes"))
    product = await runtime.bus.handle(
        CreateProduct(name="Runner", price="10.00", category_id=category.id, stock=1))
    for name in ("A", "B", "C"):
        await runtime.bus.handle(UpdateProduct(product_id=product.id, name=name))
    await runtime.relay.drain()

    versions = [json.loads(e["data"])["version"]
                for e in await stream_entries(redis, runtime.settings.events_stream)
                if e["type"] in {"ProductCreated", "ProductUpdated"}]
    assert versions == [1, 2, 3, 4]


async def test_only_one_process_holds_the_relay_lead(redis_url: str, redis_prefix: str) -> None:
    client = Redis.from_url(redis_url)
    first = RedisLeaderLock(client, f"{redis_prefix}lead", lease_ms=5_000)
    second = RedisLeaderLock(client, f"{redis_prefix}lead", lease_ms=5_000)
    try:
        assert await first.hold()
        assert not await second.hold()
        assert await first.hold()  # renewing keeps the lead
        await first.release()
        assert await second.hold()
    finally:
        await client.aclose()


async def test_the_background_relay_publishes_soon_after_commit(
    postgres_redis_settings: Settings, redis: Redis
) -> None:
    import asyncio

    from shop.bootstrap import bootstrap

    async with bootstrap(postgres_redis_settings) as runtime:
        await runtime.migrate()
        await place_catalog(runtime)
        for _ in range(100):
            if len(await stream_entries(redis, runtime.settings.events_stream)) == 3:
                break
            await asyncio.sleep(0.05)
    assert len(await stream_entries(redis, postgres_redis_settings.events_stream)) == 3
