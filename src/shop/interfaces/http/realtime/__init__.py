"""Live feeds over websockets: `/ws/inventory` and `/ws/orders`, on Litestar Channels.

`realtime_feeds(runtime)` is what `create_app` installs: the Channels plugin
that carries the feeds' routes, and, once per runtime, the notifier hooked
onto the runtime's message bus, so committed stock and order events are
published to the clients of every process sharing the runtime's Redis.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from shop.application.messagebus import MessageBus
from shop.application.realtime.event_handlers import subscribe_realtime_pushes
from shop.bootstrap import ShopRuntime
from shop.interfaces.http.realtime.channels import (
    INVENTORY_FEED,
    ORDERS_FEED,
    ChannelNames,
    FeedChannels,
    FeedLimits,
    build_backend,
)
from shop.interfaces.http.realtime.feeds import route_handlers
from shop.interfaces.http.realtime.notifier import ChannelsRealtimeNotifier
from shop.interfaces.http.realtime.session import expose_drop_counters

__all__ = ["FeedChannels", "realtime_feeds"]

_notifiers: WeakKeyDictionary[MessageBus, ChannelsRealtimeNotifier] = WeakKeyDictionary()
"""The notifier of each bus: building a second app on a runtime must not push twice."""


def realtime_feeds(runtime: ShopRuntime) -> FeedChannels:
    """The feeds plugin for one app on `runtime` (add it to the app's `plugins`)."""
    names = ChannelNames(runtime.settings.redis_prefix)
    notifier = _notifiers.get(runtime.bus)
    if notifier is None:
        notifier = ChannelsRealtimeNotifier(names)
        subscribe_realtime_pushes(runtime.bus, notifier)
        _notifiers[runtime.bus] = notifier
    expose_drop_counters((INVENTORY_FEED, ORDERS_FEED))
    return FeedChannels(
        build_backend(runtime.redis, names),
        names=names,
        limits=FeedLimits.of(runtime.settings),
        registry=notifier,
        route_handlers=route_handlers(),
    )
