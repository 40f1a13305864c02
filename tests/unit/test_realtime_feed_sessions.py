"""Feed connections under pressure: a client that stops reading, and a server that stops.

A real socket only blocks once megabytes of kernel buffers are full, so these
run the connection logic (`FeedSession` on a started memory Channels broker)
against sockets whose sends can be made to block forever.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.connection import WebSocket
from prometheus_client import REGISTRY

from shop.interfaces.http.realtime.channels import ChannelNames, FeedChannels, FeedLimits
from shop.interfaces.http.realtime.messages import encode_frame
from shop.interfaces.http.realtime.session import (
    CLIENT_CLOSED,
    SERVER_SHUTDOWN,
    SLOW_CLIENT,
    FeedSession,
)

CHANNEL = "test:feed:inventory:one-product"
QUEUE_SIZE = 4


class FakeSocket:
    """The parts of Litestar's WebSocket a session uses; `stalled` sends never complete."""

    def __init__(self, *, stalled: bool = False) -> None:
        self.stalled = stalled
        self.sent: list[str] = []
        self.closed_with: tuple[int, str | None] | None = None
        self.connection_state = "receive"
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send_text(self, text: str) -> None:
        if self.stalled:
            await asyncio.Event().wait()
        self.sent.append(text)

    async def receive(self) -> dict[str, Any]:
        return await self._incoming.get()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = (code, reason)
        self.connection_state = "disconnect"

    def client_leaves(self) -> None:
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})


class NoRegistry:
    def attach(self, feeds: FeedChannels) -> None:
        pass

    def detach(self, feeds: FeedChannels) -> None:
        pass


async def ignore(_: str | bytes) -> None:
    return None


@pytest.fixture
async def feeds() -> AsyncIterator[FeedChannels]:
    plugin = FeedChannels(
        MemoryChannelsBackend(), names=ChannelNames("test:"),
        limits=FeedLimits(max_subscriptions=10, send_queue_size=QUEUE_SIZE, heartbeat_seconds=0),
        registry=NoRegistry(), route_handlers=[],
    )
    async with plugin:
        yield plugin


async def follow(feeds: FeedChannels, socket: FakeSocket) -> tuple[FeedSession, asyncio.Task[Any]]:
    session = FeedSession(cast(WebSocket[Any, Any, Any], socket), feed="inventory", feeds=feeds,
                          context={})
    subscriber = await feeds.open_subscription([CHANNEL])
    subscriber.sink = session.offer
    return session, asyncio.create_task(session.run(ignore))


async def publish(feeds: FeedChannels, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        await feeds.wait_published(encode_frame(json.dumps({"n": n}).encode(), time.time()),
                                   CHANNEL)


async def received(socket: FakeSocket, count: int) -> list[int]:
    for _ in range(500):  # a bound, not a timing assertion
        if len(socket.sent) >= count:
            break
        await asyncio.sleep(0.01)
    return [json.loads(text)["n"] for text in socket.sent]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_client_that_stops_reading_is_closed_with_1013_once_its_queue_is_full(
    feeds: FeedChannels,
) -> None:
    dropped_before = sample("shop_ws_clients_dropped_total", feed="inventory",
                            reason="slow_client")
    slow = FakeSocket(stalled=True)
    _, run = await follow(feeds, slow)

    await publish(feeds, QUEUE_SIZE + 2)
    reason = await asyncio.wait_for(run, 5)

    assert reason is SLOW_CLIENT
    assert slow.closed_with is not None
    assert slow.closed_with[0] == 1013
    assert sample("shop_ws_clients_dropped_total", feed="inventory",
                  reason="slow_client") == dropped_before + 1


async def test_a_slow_client_does_not_hold_back_the_other_clients_of_the_same_product(
    feeds: FeedChannels,
) -> None:
    slow, fast = FakeSocket(stalled=True), FakeSocket()
    _, slow_run = await follow(feeds, slow)
    _, fast_run = await follow(feeds, fast)

    for n in range(3 * QUEUE_SIZE):  # the fast client keeps up with each change
        await publish(feeds, 1, first=n)
        await received(fast, n + 1)
    delivered = await received(fast, 3 * QUEUE_SIZE)
    fast.client_leaves()

    assert delivered == list(range(3 * QUEUE_SIZE))
    assert await asyncio.wait_for(slow_run, 5) is SLOW_CLIENT
    assert await asyncio.wait_for(fast_run, 5) is CLIENT_CLOSED
    assert fast.closed_with is None  # the client closed; the server had nothing to send


async def test_stopping_the_feeds_closes_open_connections_with_1001(
    feeds: FeedChannels,
) -> None:
    socket = FakeSocket()
    _, run = await follow(feeds, socket)
    await publish(feeds, 1)
    await received(socket, 1)

    await feeds.__aexit__(None, None, None)
    reason = await asyncio.wait_for(run, 5)

    assert reason is SERVER_SHUTDOWN
    assert socket.closed_with == (1001, SERVER_SHUTDOWN.detail)


class BrokerFailingOnce(MemoryChannelsBackend):
    """A broker whose first publish fails with an error it was not written for."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def publish(self, data: bytes, channels: Any) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("a broker bug")
        await super().publish(data, channels)


async def test_a_publish_the_broker_fails_loses_that_change_only_and_the_next_arrives() -> None:
    feeds = FeedChannels(
        BrokerFailingOnce(), names=ChannelNames("test:"),
        limits=FeedLimits(max_subscriptions=10, send_queue_size=QUEUE_SIZE, heartbeat_seconds=0),
        registry=NoRegistry(), route_handlers=[],
    )
    async with feeds:
        subscriber = await feeds.open_subscription([CHANNEL])
        received: list[bytes] = []
        arrived = asyncio.Event()

        def sink(frame: bytes) -> None:
            received.append(frame)
            arrived.set()

        subscriber.sink = sink
        feeds.publish(b"lost", [CHANNEL])
        feeds.publish(b"delivered", [CHANNEL])
        await asyncio.wait_for(arrived.wait(), 5)

    assert received == [b"delivered"]
