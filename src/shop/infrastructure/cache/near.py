"""A near cache: product views kept in this process, in front of the shared Redis cache.

A Redis round trip per product read costs more than the rest of the request,
so each process keeps hot views in memory. Coherence across processes comes
from Redis pub/sub, with acknowledgements: every invalidation is applied
locally, written to the shared cache, then broadcast; each process evicts on
receipt and acknowledges, and the write does not return until every process
that received the broadcast has acknowledged it (PUBLISH says how many
received it). So once a client's write has answered, no process serves the
older view: the contract's read-your-writes holds across processes. A process
that loses its subscription stops using its near cache and forgets it; entries
live only `ttl_seconds` in any case. The same feed clears the process's list
pages (`listings.py`): every product or stock invalidation, and
`invalidate_listings` for the changes that touch no cached product (a product
created, a category changed).

A process receives its own broadcasts too and counts itself among the
receivers; it acknowledges those to itself without a Redis round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shop.application.catalog.views import ProductView
from shop.infrastructure.cache.listings import NearListings
from shop.infrastructure.cache.memory import InMemoryProductCache
from shop.infrastructure.cache.redis import RedisProductCache

log = logging.getLogger("shop.cache")

_RETRY_SECONDS = 1.0
_ACK_TIMEOUT_SECONDS = 2.0
_LISTINGS = "listings"
"""What an invalidation names instead of a product id when only list pages changed."""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class _AckWait:
    """Counts acknowledgements of one invalidation until every receiver has answered."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self._done = done
        self._acks = 0
        self._expected: int | None = None

    def expect(self, receivers: int) -> None:
        self._expected = receivers
        self._settle()

    def ack(self) -> None:
        self._acks += 1
        self._settle()

    def _settle(self) -> None:
        if self._expected is not None and self._acks >= self._expected and not self._done.done():
            self._done.set_result(None)


class NearProductCache:
    def __init__(
        self,
        shared: RedisProductCache,
        redis: Redis,
        *,
        channel: str,
        ttl_seconds: float,
        max_entries: int = 10_000,
        listings: NearListings | None = None,
    ) -> None:
        self._shared = shared
        self._listings = listings
        self._redis = redis
        self._channel = channel
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._local = InMemoryProductCache(ttl_seconds=ttl_seconds, max_entries=max_entries)
        self._ack_channel = f"{channel}:acks"
        self._listener: asyncio.Task[None] | None = None
        self._ack_sender: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._waiting: dict[str, _AckWait] = {}
        self._acks_to_send: list[str] = []
        self._acks_queued = asyncio.Event()

    async def get(self, product_id: uuid.UUID) -> ProductView | None:
        view = await self._local.get(product_id)
        if view is not None:
            return view
        view = await self._shared.get(product_id)
        if view is not None and self._subscribed.is_set():
            await self._local.put(view)
        return view

    async def put(self, view: ProductView) -> None:
        await self._shared.put(view)
        if self._subscribed.is_set():  # without the feed, a local copy could go stale
            await self._local.put(view)

    async def invalidate(
        self, product_id: uuid.UUID, *, product_version: int = 0, stock_version: int = 0
    ) -> None:
        await self._local.invalidate(product_id, product_version=product_version,
                                     stock_version=stock_version)
        self._clear_listings()

        def invalidate_shared_and_publish(message: str) -> Awaitable[int]:
            return self._shared.invalidate_and_publish(product_id, product_version,
                                                       stock_version, self._channel, message)

        await self._broadcast(f"{product_id}:{product_version}:{stock_version}", str(product_id),
                              invalidate_shared_and_publish)

    async def invalidate_listings(self) -> None:
        """Every process's list pages are dropped before this returns."""
        self._clear_listings()
        await self._broadcast(f"{_LISTINGS}:0:0", "the list pages", self._publish)

    async def _publish(self, message: str) -> int:
        return int(await self._redis.publish(self._channel, message))

    async def _broadcast(self, change: str, what: str,
                         send: Callable[[str], Awaitable[int]]) -> None:
        """Send one invalidation; wait until every process that received it applied it.

        `send` publishes the message and says how many received it (for a
        product, in the same script that invalidates the shared entry).
        """
        token = uuid.uuid4().hex
        acked = asyncio.get_running_loop().create_future()
        self._waiting[token] = _AckWait(acked)
        try:
            receivers = await send(f"{change}:{token}")
            self._waiting[token].expect(receivers)
            async with asyncio.timeout(_ACK_TIMEOUT_SECONDS):
                await acked
        except RedisError as error:
            log.error("near-cache invalidation failed for %s (shared cache or broadcast)", what,
                      exc_info=error)
        except TimeoutError:
            log.error("not every process acknowledged the invalidation of %s in %.1f s",
                      what, _ACK_TIMEOUT_SECONDS)
        finally:
            self._waiting.pop(token, None)

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="near-cache-listener")
        if self._ack_sender is None:
            self._ack_sender = asyncio.create_task(self._send_acks(), name="near-cache-acks")

    async def stop(self) -> None:
        if self._ack_sender is not None:
            self._ack_sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ack_sender
            self._ack_sender = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._listener, _RETRY_SECONDS * 5)
            self._listener = None
            self._subscribed.clear()
            if self._listings is not None:
                self._listings.active = False

    async def subscribed(self) -> None:
        """Wait until invalidations from other processes are being received."""
        await self._subscribed.wait()

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel, self._ack_channel)
                    self._forget_everything()  # whatever happened while deaf is unknown
                    self._subscribed.set()
                    if self._listings is not None:
                        self._listings.active = True
                    async for message in pubsub.listen():
                        if _text(message.get("channel")) == self._ack_channel:
                            self._acknowledged(_text(message.get("data")))
                        else:
                            await self._apply(_text(message.get("data")))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("near-cache feed lost, serving from Redis until it is back: %s",
                            error)
            self._subscribed.clear()
            if self._listings is not None:
                self._listings.active = False
            self._forget_everything()
            await asyncio.sleep(_RETRY_SECONDS)

    async def _apply(self, data: str) -> None:
        try:
            raw_id, pv, sv, token = data.split(":")
            if raw_id != _LISTINGS:
                await self._local.invalidate(uuid.UUID(raw_id), product_version=int(pv),
                                             stock_version=int(sv))
        except ValueError:
            log.warning("ignoring a malformed near-cache invalidation: %r", data)
            return
        self._clear_listings()
        if token in self._waiting:  # our own broadcast, applied before it was sent
            self._acknowledged(token)
        else:
            self._acks_to_send.append(token)
            self._acks_queued.set()

    async def _send_acks(self) -> None:
        """Acknowledge every invalidation applied since the last send, in one message.

        The listener only queues tokens, so it never waits on Redis between two
        invalidations; under load one PUBLISH carries the acks of many (with
        two workers, every stock change of the other is one ack here).
        """
        while True:
            await self._acks_queued.wait()
            self._acks_queued.clear()
            tokens, self._acks_to_send = self._acks_to_send, []
            try:
                await self._redis.publish(self._ack_channel, " ".join(tokens))
            except Exception as error:  # this task must outlive any failure, as the listener
                # The senders time out and log it; the invalidations are applied here.
                log.warning("near-cache acknowledgements not sent (%d): %s", len(tokens), error)

    def _acknowledged(self, tokens: str) -> None:
        for token in tokens.split(" "):
            wait = self._waiting.get(token)
            if wait is not None:
                wait.ack()

    def _clear_listings(self) -> None:
        if self._listings is not None:
            self._listings.clear()

    def _forget_everything(self) -> None:
        self._local = InMemoryProductCache(ttl_seconds=self._ttl, max_entries=self._max_entries)
        self._clear_listings()
