"""Waking the outbox relay's leader from any process, so a commit leaves at once.

Only one process relays (the leader lock); the others' commits would wait for
the leader's next poll. A non-leader that committed publishes on a Redis
channel, and every relay listens on it: the leader wakes and publishes the new
rows within a round trip or two. A lost wake-up costs one poll interval,
nothing more: the outbox is still read on every poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

log = logging.getLogger("shop.outbox")

_RETRY_SECONDS = 1.0
_READ_SECONDS = 1.0


class RelayWake(Protocol):
    async def announce(self) -> None:
        """Tell the leader, wherever it runs, that there are new outbox rows."""
        ...

    async def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` for every announcement, until cancelled."""
        ...


class RedisRelayWake:
    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self.channel = channel
        self.listening = asyncio.Event()

    async def announce(self) -> None:
        await self._redis.publish(self.channel, b"1")

    async def listen(self, wake: Callable[[], None]) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    wake()  # announcements made while deaf are unknown: look now
                    while True:
                        if await pubsub.get_message(timeout=_READ_SECONDS) is not None:
                            wake()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("relay wake-up channel lost (polling meanwhile): %s", error)
            self.listening.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.sleep(_RETRY_SECONDS)
