"""The near cache sends invalidations in batches; each write still waits for every process."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from shop.infrastructure.cache.listings import NearListings
from shop.infrastructure.cache.near import NearProductCache
from shop.infrastructure.cache.redis import RedisProductCache
from tests.integration.test_product_cache import a_view


class RecordedBroadcasts(RedisProductCache):
    """The shared cache, noting every message the near cache broadcasts through it."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__(redis, prefix=prefix, ttl_seconds=60)
        self.messages: list[str] = []

    async def invalidate_and_publish(
        self, versions: Mapping[uuid.UUID, tuple[int, int]], channel: str, message: str,
    ) -> int:
        self.messages.append(message)
        return await super().invalidate_and_publish(versions, channel, message)


def a_near_cache(shared: RedisProductCache, redis: Redis, prefix: str,
                 listings: NearListings | None = None) -> NearProductCache:
    return NearProductCache(shared, redis, channel=f"{prefix}cache:invalidations",
                            ttl_seconds=60, listings=listings)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_changes_queued_together_go_out_in_one_message_and_each_waits_for_every_process(
    redis: Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Twelve stock changes of three products and a list change, made at once in one
    process: one script call and one message carry them, each product at the newest
    versions queued, and when the writes return the other process has dropped its copies."""
    reader_listings = NearListings(ttl_seconds=60)
    sent = RecordedBroadcasts(redis, redis_prefix)
    writer = a_near_cache(sent, redis, redis_prefix)
    reader = a_near_cache(RedisProductCache(redis, prefix=redis_prefix, ttl_seconds=60), redis,
                          redis_prefix, reader_listings)
    views = [replace(a_view(), id=uuid.uuid4()) for _ in range(3)]
    for cache in (writer, reader):
        await cache.start()
        await asyncio.wait_for(cache.subscribed(), 5)
    try:
        for view in views:
            await reader.put(view)
            assert await reader.get(view.id) == view
        generation = reader_listings.generation

        await asyncio.gather(writer.invalidate_listings(), *(
            writer.invalidate(views[i % 3].id, stock_version=2 + i) for i in range(12)))

        for view in views:
            assert await reader.get(view.id) is None
        assert reader_listings.generation > generation
    finally:
        for cache in (writer, reader):
            await cache.stop()

    assert len(sent.messages) == 1
    changes = sent.messages[0].rpartition(":")[0].split(",")
    assert sorted(changes) == sorted(
        ["listings:0:0", f"{views[0].id}:0:11", f"{views[1].id}:0:12", f"{views[2].id}:0:13"])
    shared = RedisProductCache(redis, prefix=redis_prefix, ttl_seconds=60)
    await shared.put(replace(views[2], stock_version=12))  # older than the broadcast: refused
    assert await shared.get(views[2].id) is None
    assert not [r for r in caplog.records if "acknowledg" in r.getMessage()]


async def test_a_broadcast_that_cannot_reach_redis_releases_every_waiting_write_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The writes committed already: a failed broadcast is logged, never raised or hung on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    unreachable = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    cache = a_near_cache(RedisProductCache(unreachable, prefix="shop-test-", ttl_seconds=60),
                         unreachable, "shop-test-")
    await cache.start()
    try:
        with caplog.at_level(logging.ERROR, logger="shop.cache"):
            await asyncio.wait_for(asyncio.gather(
                *(cache.invalidate(uuid.uuid4(), stock_version=1) for _ in range(5))), 10)
    finally:
        await cache.stop()
        await unreachable.aclose()

    failures = [r for r in caplog.records if "invalidation failed" in r.getMessage()]
    assert len(failures) == 1
    assert "5 changes" in failures[0].getMessage()


async def test_a_change_still_queued_when_its_process_stops_reaches_the_other_process(
    redis: Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """The write committed already: stopping sends what is queued and waits for its acks."""
    writer = a_near_cache(RedisProductCache(redis, prefix=redis_prefix, ttl_seconds=60), redis,
                          redis_prefix)
    reader = a_near_cache(RedisProductCache(redis, prefix=redis_prefix, ttl_seconds=60), redis,
                          redis_prefix)
    view = replace(a_view(), id=uuid.uuid4())
    for cache in (writer, reader):
        await cache.start()
        await asyncio.wait_for(cache.subscribed(), 5)
    try:
        await reader.put(view)
        writing = asyncio.create_task(writer.invalidate(view.id, stock_version=2))
        await asyncio.sleep(0)  # queued; the broadcasting task has not sent it yet

        await writer.stop()

        await asyncio.wait_for(writing, 1)
        assert await reader.get(view.id) is None
    finally:
        await reader.stop()
    assert not [r for r in caplog.records if "acknowledg" in r.getMessage()]
