"""The feeds' Redis broker under a burst: batched publishing keeps every change, in order.

The publishing task pipelines whatever queued up meanwhile, at most
MAX_PUBLISH_BATCH changes a round trip; a burst longer than that must still
reach a subscriber whole and in the order it was published.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from shop.interfaces.http.realtime.channels import (
    MAX_PUBLISH_BATCH,
    ChannelNames,
    FeedChannels,
    FeedLimits,
    ResilientRedisPubSubBackend,
    SessionSubscriber,
)


class NoRegistry:
    def attach(self, feeds: FeedChannels) -> None:
        pass

    def detach(self, feeds: FeedChannels) -> None:
        pass


@pytest.fixture
async def feeds(redis_url: str, redis_prefix: str) -> AsyncIterator[FeedChannels]:
    client = Redis.from_url(redis_url)
    names = ChannelNames(redis_prefix)
    plugin = FeedChannels(
        ResilientRedisPubSubBackend(redis=client, names=names), names=names,
        limits=FeedLimits(max_subscriptions=10, send_queue_size=10, heartbeat_seconds=0),
        registry=NoRegistry(), route_handlers=[],
    )
    async with plugin:
        yield plugin
    await client.aclose()


async def subscribed(feeds: FeedChannels, subscriber: SessionSubscriber, channel: str) -> None:
    """Redis has taken the subscription once a probe published after it comes back."""
    arrived = asyncio.Event()
    subscriber.sink = lambda _frame: arrived.set()
    async with asyncio.timeout(10):
        while not arrived.is_set():
            feeds.publish(b"probe", [channel])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), 0.2)


async def test_a_burst_longer_than_one_batch_reaches_a_subscriber_whole_and_in_order(
    feeds: FeedChannels,
) -> None:
    channel = feeds.names.stock_prefix + "one-product"
    other = feeds.names.customer_orders(uuid.uuid4())
    subscriber = await feeds.open_subscription([channel])
    await subscribed(feeds, subscriber, channel)
    burst = [str(n).encode() for n in range(2 * MAX_PUBLISH_BATCH + 7)]
    received: list[bytes] = []
    complete = asyncio.Event()

    def sink(frame: bytes) -> None:
        if frame == b"probe":  # a late echo of `subscribed`'s probing
            return
        received.append(frame)
        if len(received) == len(burst):
            complete.set()

    subscriber.sink = sink
    for frame in burst:
        feeds.publish(frame, [channel, other])  # a second channel in every message, as orders

    await asyncio.wait_for(complete.wait(), 10)
    assert received == burst
