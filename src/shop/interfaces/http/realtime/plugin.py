"""The feeds' Channels plugin of one app.

`realtime_feeds(runtime)` is what `create_app` installs: the Channels plugin
that carries the feeds' routes. It attaches to the runtime's one realtime
notifier (built by the container and already in the message bus's table), so
committed stock and order events are published to the clients of every
process sharing the runtime's Redis, once however many apps run on it.
"""

from __future__ import annotations

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
from shop.interfaces.http.realtime.session import expose_drop_counters


def realtime_feeds(runtime: ShopRuntime) -> FeedChannels:
    """The feeds plugin for one app on `runtime` (add it to the app's `plugins`)."""
    names = ChannelNames(runtime.settings.redis_prefix)
    expose_drop_counters((INVENTORY_FEED, ORDERS_FEED))
    return FeedChannels(
        build_backend(runtime.redis, names),
        names=names,
        limits=FeedLimits.of(runtime.settings),
        registry=runtime.realtime_notifier,
        route_handlers=route_handlers(),
    )
