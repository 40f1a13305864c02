"""Litestar Channels as the realtime broker: channel names, backends and the feeds' plugin.

With Redis configured, every process subscribes to Redis pub/sub channels
named under `settings.redis_prefix`, so a change published by any process
reaches the websocket clients of all of them (and concurrent test runs, each
with its own prefix, never hear each other). Without Redis the memory backend
serves the one process there is.

Routing is Channels' own: one channel per product (`…feed:inventory:<id>`),
one per customer (`…feed:orders:<customer id>`) and one for admins
(`…feed:orders:all`). A process holds one broker subscription per channel
however many clients follow it, and encodes each change once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Iterable, Sequence
from dataclasses import dataclass
from time import perf_counter
from types import TracebackType
from typing import Any, Final, Protocol

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.channels.subscriber import BacklogStrategy, Subscriber
from litestar.config.app import AppConfig
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.infrastructure.observability.metrics import (
    REALTIME_PUBLISH_DURATION,
    WS_MESSAGES_DROPPED,
    WS_SUBSCRIPTIONS,
)
from shop.settings import Settings

log = logging.getLogger("shop.realtime")

INVENTORY_FEED: Final = "inventory"
ORDERS_FEED: Final = "orders"

_REDIS_RETRY_SECONDS: Final = 1.0
MAX_PUBLISH_BATCH: Final = 500
"""At most this many queued changes go in one pipelined round trip (a burst is split)."""
SHUTDOWN_GRACE_SECONDS: Final = 2.0
"""How long stopping the app waits for open connections to send their 1001 close."""


@dataclass(frozen=True)
class ChannelNames:
    """The broker channel of each feed's audience, all under the shop's Redis prefix."""

    prefix: str

    def stock(self, product_id: uuid.UUID) -> str:
        return f"{self.prefix}feed:{INVENTORY_FEED}:{product_id}"

    def customer_orders(self, customer_id: uuid.UUID) -> str:
        return f"{self.prefix}feed:{ORDERS_FEED}:{customer_id}"

    @property
    def all_orders(self) -> str:
        return f"{self.prefix}feed:{ORDERS_FEED}:all"

    def feed_of(self, channel: str) -> str:
        """The feed a channel belongs to (the label of its metrics)."""
        return INVENTORY_FEED if channel.startswith(self.stock_prefix) else ORDERS_FEED

    @property
    def stock_prefix(self) -> str:
        return f"{self.prefix}feed:{INVENTORY_FEED}:"

    def observe_publish(self, channels: Sequence[str], started: float) -> None:
        """Record how long the broker took to accept one message for `channels`."""
        feed = self.feed_of(channels[0]) if channels else "unknown"
        DEFERRED.observe(REALTIME_PUBLISH_DURATION.labels(feed=feed), perf_counter() - started)


@dataclass(frozen=True)
class FeedLimits:
    """Per-connection bounds, so no client can cost the server more than its share."""

    max_subscriptions: int
    send_queue_size: int
    heartbeat_seconds: float

    def __post_init__(self) -> None:
        if self.max_subscriptions < 1:
            raise ValueError("SHOP_WS_MAX_SUBSCRIPTIONS must be at least 1")
        if self.send_queue_size < 1:
            raise ValueError("SHOP_WS_SEND_QUEUE_SIZE must be at least 1")
        if self.heartbeat_seconds < 0:
            raise ValueError("SHOP_WS_HEARTBEAT_SECONDS must be 0 (off) or positive")

    @classmethod
    def of(cls, settings: Settings) -> FeedLimits:
        return cls(max_subscriptions=settings.ws_max_subscriptions,
                   send_queue_size=settings.ws_send_queue_size,
                   heartbeat_seconds=settings.ws_heartbeat_seconds)


class SessionSubscriber(Subscriber):
    """A Channels subscriber that hands each event straight to its connection's send queue.

    Channels' own subscriber keeps a queue per subscriber and either waits or
    silently drops when it is full. A connection here may hold several
    subscribers (one per subscribe request) but has exactly one bounded send
    queue, and a full queue must close that client (1013), not lose messages
    quietly: so events go to `sink` (the connection's `offer`) synchronously,
    from Channels' fan-out loop, and this class never queues anything itself.
    Until `sink` is set (the subscribe is being confirmed) events are ignored.
    """

    def __init__(self, plugin: ChannelsPlugin, max_backlog: int | None = None,
                 backlog_strategy: BacklogStrategy = "backoff") -> None:
        super().__init__(plugin, max_backlog, backlog_strategy)
        self.sink: FrameSink | None = None

    def put_nowait(self, item: bytes | None) -> bool:
        if item is not None and self.sink is not None:
            self.sink(item)
        return True

    async def put(self, item: bytes | None) -> None:
        # Channels puts None to stop a subscriber that lost its last channel; the
        # connection, not Channels, decides when it ends.
        self.put_nowait(item)


class FrameSink(Protocol):
    def __call__(self, frame: bytes, /) -> None: ...


class Session(Protocol):
    """What the plugin needs of an open connection to close it at shutdown."""

    def shut_down(self) -> None: ...
    async def wait_closed(self) -> None: ...


class FeedRegistry(Protocol):
    """Told when a plugin can publish (the notifier publishes through running plugins only)."""

    def attach(self, feeds: FeedChannels) -> None: ...
    def detach(self, feeds: FeedChannels) -> None: ...


class ResilientRedisPubSubBackend(RedisChannelsPubSubBackend):
    """Channels' Redis pub/sub backend, made to outlive a Redis outage.

    Channels runs `publish` and `stream_events` in background tasks that end
    for good on the first error: one Redis restart would silence the feeds of
    a process until it restarts. Here a failed publish is logged and counted
    (the feeds are best effort; the event is durable in the outbox), and a
    lost subscription is re-established (redis-py re-subscribes every channel
    when it reconnects).
    """

    def __init__(self, *, redis: Redis, names: ChannelNames) -> None:
        super().__init__(redis=redis)
        self._names = names

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        await self.publish_all([(data, list(channels))])

    async def publish_all(self, messages: Sequence[tuple[bytes, Sequence[str]]]) -> None:
        """Every message to each of its channels, in order, in one round trip.

        One PUBLISH per (message, channel) in a pipeline: Redis runs them in
        the order sent, so each channel keeps the order of its changes. Under
        load the feeds' queue holds several messages (an order makes three),
        and a round trip each cost a fifth of the order path's CPU.
        """
        started = perf_counter()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for data, channels in messages:
                    for channel in dict.fromkeys(channels):
                        pipe.publish(channel, data)
                await pipe.execute()
        except (RedisError, OSError) as error:
            for _, channels in messages:
                feed = self._names.feed_of(channels[0]) if channels else "unknown"
                WS_MESSAGES_DROPPED.labels(feed=feed, reason="publish_failed").inc()
            log.error("realtime publish failed; live clients miss %d change(s): %s",
                      len(messages), error)
            return
        for _, channels in messages:
            self._names.observe_publish(channels, started)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        try:
            await super().unsubscribe(list(channels))
        except (RedisError, OSError) as error:
            # Still subscribed at Redis, those channels only cost traffic: the plugin
            # routes nothing to them any more. A disconnecting client must not fail here.
            log.warning("realtime unsubscribe failed (Redis: %s); ignoring", error)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            try:
                async for event in super().stream_events():
                    yield event
            except (RedisError, OSError) as error:
                log.warning("realtime feed lost Redis (%s); resubscribing in %.0f s",
                            error, _REDIS_RETRY_SECONDS)
                await asyncio.sleep(_REDIS_RETRY_SECONDS)


class TimedMemoryChannelsBackend(MemoryChannelsBackend):
    """Channels' memory backend with its publish latency recorded like the Redis one's."""

    def __init__(self, *, names: ChannelNames) -> None:
        super().__init__()
        self._names = names

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        targets = list(channels)
        started = perf_counter()
        await super().publish(data, targets)
        self._names.observe_publish(targets, started)


async def _surviving(publishing: Awaitable[None], changes: int) -> None:
    """A broker failure nobody foresaw loses those changes, never the publishing task
    (the queue would then never drain, and the app never stop)."""
    try:
        await publishing
    except Exception:
        log.exception("realtime publish failed; live clients miss %d change(s)", changes)


def build_backend(redis: Redis | None, names: ChannelNames) -> ChannelsBackend:
    """Redis pub/sub when the runtime has Redis (shared by every process), else memory."""
    if redis is None:
        return TimedMemoryChannelsBackend(names=names)
    return ResilientRedisPubSubBackend(redis=redis, names=names)


class FeedChannels(ChannelsPlugin):
    """The Channels plugin of the realtime feeds: broker, websocket routes, open sessions.

    One per app. On start it registers with the notifier (which then publishes
    through it); on stop it unregisters, closes its connections with 1001 and
    stops the broker.
    """

    def __init__(
        self,
        backend: ChannelsBackend,
        *,
        names: ChannelNames,
        limits: FeedLimits,
        registry: FeedRegistry,
        route_handlers: Sequence[ControllerRouterHandler],
    ) -> None:
        super().__init__(backend, arbitrary_channels_allowed=True,
                         subscriber_class=SessionSubscriber)
        self.names = names
        self.limits = limits
        self.shared_broker = not isinstance(backend, MemoryChannelsBackend)
        """True when every process hears what this plugin publishes (Redis)."""
        self._registry = registry
        self._route_handlers = list(route_handlers)
        self._sessions: set[Session] = set()

    async def _pub_worker(self) -> None:
        """Channels' publishing task, sending what queued up meanwhile in one round trip.

        Channels' own worker sends one queued message per broker call. On
        Redis, this one takes every message waiting and pipelines them (in
        queue order); other brokers still get one call per message.
        """
        queue = self._pub_queue
        while queue is not None:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < MAX_PUBLISH_BATCH:
                batch.append(queue.get_nowait())
            try:
                if isinstance(self._backend, ResilientRedisPubSubBackend):
                    await _surviving(self._backend.publish_all(batch), len(batch))
                else:
                    for data, channels in batch:
                        await _surviving(self._backend.publish(data, channels), 1)
            finally:
                for _ in batch:
                    queue.task_done()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config = super().on_app_init(app_config)
        app_config.route_handlers.extend(self._route_handlers)
        return app_config

    async def open_subscription(self, channels: Iterable[str]) -> SessionSubscriber:
        """A new subscriber of `channels` (the broker subscribes only channels new here).

        Channels' own `subscribe` does the same but leaves the subscriber
        registered when the broker refuses (Redis down), receiving for a
        connection that never got it; here it is taken out before the error
        propagates.
        """
        wanted = list(dict.fromkeys(channels))
        subscriber = SessionSubscriber(self)
        new: list[str] = []
        for channel in wanted:
            members = self._channels.setdefault(channel, set())
            if not members:
                new.append(channel)
            members.add(subscriber)
        if new:
            try:
                await self._backend.subscribe(new)
            except BaseException:
                self._forget(subscriber, wanted)
                raise
        self._count_subscriptions(wanted, +1)
        return subscriber

    async def unsubscribe(self, subscriber: Subscriber,
                          channels: str | Iterable[str] | None = None) -> None:
        """Channels keeps an entry for every channel ever used; clients choose product ids,
        so entries left without subscribers are removed rather than kept forever."""
        targets = [channels] if isinstance(channels, str) else (
            None if channels is None else list(channels))
        held = [channel for channel in (targets if targets is not None else list(self._channels))
                if subscriber in self._channels.get(channel, ())]
        await super().unsubscribe(subscriber, targets)
        self._count_subscriptions(held, -1)
        self._prune(targets if targets is not None else list(self._channels))

    def _count_subscriptions(self, channels: Iterable[str], change: int) -> None:
        """`shop_ws_subscriptions`: one per (connection, channel) followed, by feed."""
        for channel in channels:
            WS_SUBSCRIPTIONS.labels(feed=self.names.feed_of(channel)).inc(change)

    def _forget(self, subscriber: Subscriber, channels: Iterable[str]) -> None:
        for channel in channels:
            self._channels.get(channel, set()).discard(subscriber)
        self._prune(channels)

    def _prune(self, channels: Iterable[str]) -> None:
        for channel in channels:
            if not self._channels.get(channel, True):
                del self._channels[channel]

    def track(self, session: Session) -> None:
        self._sessions.add(session)

    def untrack(self, session: Session) -> None:
        self._sessions.discard(session)

    async def __aenter__(self) -> FeedChannels:
        await super().__aenter__()
        self._registry.attach(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._registry.detach(self)
        await self._close_sessions()
        await super().__aexit__(exc_type, exc_val, exc_tb)

    async def _close_sessions(self) -> None:
        sessions = list(self._sessions)
        for session in sessions:
            session.shut_down()
        if sessions:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(s.wait_closed() for s in sessions)), SHUTDOWN_GRACE_SECONDS
                )
