"""A commit in a process that does not lead the outbox relay reaches the stream at once:
the leader is woken across processes instead of waiting for its next poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory
from shop.bootstrap import ShopRuntime, build_runtime
from shop.infrastructure.events.relay_wake import RedisRelayWake
from shop.settings import Settings
from tests.support.consumers import WAIT_SECONDS, eventually

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

POLL_SECONDS = 120.0
"""Far longer than the test waits: only a wake-up can get the event out in time."""


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def test_a_commit_in_a_non_leader_reaches_the_stream_without_waiting_for_a_poll(
    postgres_redis_settings: Settings, redis: Redis
) -> None:
    settings = postgres_redis_settings.with_overrides(outbox_poll_seconds=POLL_SECONDS)
    leader, follower = build_runtime(settings), build_runtime(settings)
    stream = settings.events_stream
    runtimes: list[ShopRuntime] = []
    try:
        for runtime in (leader, follower):
            await runtime.start()
            runtimes.append(runtime)
            wake = runtime.relay._cross_process_wake
            assert isinstance(wake, RedisRelayWake)
            await asyncio.wait_for(wake.listening.wait(), WAIT_SECONDS)
            # The first one takes the lead before the second starts.
            await eventually(lambda: redis.exists(f"{settings.redis_prefix}outbox:relay-leader"),
                             "a relay leads")
        await asyncio.sleep(0.2)  # both relays are idle now, waiting for the next poll

        await follower.bus.handle(CreateCategory(name="Shoes"))

        async def arrived() -> bool:
            return any(fields["type"] == "CategoryCreated"
                       for _, fields in await redis.xrange(stream))

        await eventually(arrived, "the follower's commit reached the stream")
    finally:
        for runtime in runtimes:
            await runtime.stop()
