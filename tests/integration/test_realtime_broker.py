"""The feeds' Redis broker when Redis is away: nothing raises into the app, drops are counted.

Channels runs publishing in a background task that would end for good on the
first error; the shop's backend logs and counts instead. Redis here is a port
nobody listens on, so the refusal is immediate.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from shop.interfaces.http.realtime.channels import (
    ChannelNames,
    FeedChannels,
    FeedLimits,
    ResilientRedisPubSubBackend,
)

NAMES = ChannelNames("broker-test:")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: connecting is refused


@pytest.fixture
async def unreachable_redis() -> AsyncIterator[Redis]:
    # No retries: the shop's own client retries with backoff, which only slows the test.
    client = Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=1,
                   retry=Retry(NoBackoff(), 0))
    yield client
    await client.aclose()


class NoRegistry:
    def attach(self, feeds: FeedChannels) -> None:
        pass

    def detach(self, feeds: FeedChannels) -> None:
        pass


def publish_failures() -> float:
    labels = {"feed": "inventory", "reason": "publish_failed"}
    return REGISTRY.get_sample_value("shop_ws_messages_dropped_total", labels) or 0.0


async def test_a_change_redis_refuses_is_counted_as_dropped_not_raised(
    unreachable_redis: Redis,
) -> None:
    backend = ResilientRedisPubSubBackend(redis=unreachable_redis, names=NAMES)
    before = publish_failures()

    await backend.publish(b"frame", [NAMES.stock_prefix + "some-product"])

    assert publish_failures() == before + 1


async def test_a_subscription_redis_refuses_fails_the_caller_and_the_feed_keeps_publishing(
    unreachable_redis: Redis,
) -> None:
    feeds = FeedChannels(
        ResilientRedisPubSubBackend(redis=unreachable_redis, names=NAMES), names=NAMES,
        limits=FeedLimits(max_subscriptions=10, send_queue_size=10, heartbeat_seconds=0),
        registry=NoRegistry(), route_handlers=[],
    )
    async with feeds:
        with pytest.raises(RedisError):
            await feeds.open_subscription([NAMES.stock_prefix + "some-product"])
        before = publish_failures()

        await feeds.wait_published(b"frame", [NAMES.stock_prefix + "some-product"])

        assert publish_failures() == before + 1
