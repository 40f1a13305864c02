"""The RealtimeNotifier adapter: committed changes published on the feeds' channels.

One notifier per runtime (its message bus); the apps built on that runtime
attach their Channels plugin while they run. Publishing only queues the
encoded message on the plugin (Channels sends it from a background task), so
the command that caused the change never waits for Redis.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from shop.infrastructure.observability.metrics import WS_MESSAGES_DROPPED
from shop.interfaces.http.realtime.channels import (
    INVENTORY_FEED,
    ORDERS_FEED,
    ChannelNames,
    FeedChannels,
)
from shop.interfaces.http.realtime.messages import (
    encode_frame,
    encode_order_status_changed,
    encode_stock_changed,
)


class ChannelsRealtimeNotifier:
    """Implements `shop.application.realtime.ports.RealtimeNotifier` on Litestar Channels."""

    def __init__(self, names: ChannelNames) -> None:
        self._names = names
        self._running: list[FeedChannels] = []

    def attach(self, feeds: FeedChannels) -> None:
        if feeds not in self._running:
            self._running.append(feeds)

    def detach(self, feeds: FeedChannels) -> None:
        if feeds in self._running:
            self._running.remove(feeds)

    async def notify_stock_changed(self, product_id: uuid.UUID, stock: int, at: datetime) -> None:
        frame = encode_frame(encode_stock_changed(product_id, stock, at), time.time())
        self._publish(frame, [self._names.stock(product_id)], INVENTORY_FEED)

    async def notify_order_status_changed(
        self, order_id: uuid.UUID, customer_id: uuid.UUID, status: str, at: datetime
    ) -> None:
        frame = encode_frame(encode_order_status_changed(order_id, status, at), time.time())
        channels = [self._names.customer_orders(customer_id), self._names.all_orders]
        self._publish(frame, channels, ORDERS_FEED)

    def _publish(self, frame: bytes, channels: list[str], feed: str) -> None:
        targets = self._targets()
        if not targets:
            # Before the app started or after it stopped (start-up recovery settles orders
            # before the feeds run): nobody in this process can hear it.
            WS_MESSAGES_DROPPED.labels(feed=feed, reason="feed_not_running").inc()
            return
        for feeds in targets:
            feeds.publish(frame, channels)

    def _targets(self) -> list[FeedChannels]:
        """Every running plugin with a memory broker, but only one of those sharing Redis.

        Two apps on one runtime (tests build several) each have their own memory
        broker and must each be told; plugins on Redis all hear one publish, and a
        second publish would reach every client twice.
        """
        shared = [feeds for feeds in self._running if feeds.shared_broker][:1]
        return shared + [feeds for feeds in self._running if not feeds.shared_broker]
