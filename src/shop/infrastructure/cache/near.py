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

Invalidations travel in batches: while one broadcast is on its way, every
change queued meanwhile waits for the next, which carries them all in one
script call and one message (on a flash sale, many orders change the same few
products at once). Each write still returns only once its own change has
been acknowledged by every receiver.

A message names its changes as `<id>:<pv>:<sv>[,...]:<token>`; a process from
before batching ignores (and logs) the messages naming several, so during such a
rolling upgrade a write may wait `_ACK_TIMEOUT_SECONDS` for its acknowledgements.

A process receives its own broadcasts too and counts itself among the
receivers; it acknowledges those to itself without a Redis round trip, and
without applying them again (it applied them before queueing them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from redis.asyncio import Redis

from shop.application.catalog.views import ProductView
from shop.infrastructure.cache.listings import NearListings
from shop.infrastructure.cache.memory import InMemoryProductCache
from shop.infrastructure.cache.redis import RedisProductCache

log = logging.getLogger("shop.cache")

_RETRY_SECONDS = 1.0
_ACK_TIMEOUT_SECONDS = 2.0
_LISTINGS = "listings"
"""What an invalidation names instead of a product id when only list pages changed."""
MAX_CHANGES_PER_BROADCAST = 200
"""Bounds one message (a change is ~45 bytes) and one script call's keys."""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse_change(change: str) -> tuple[uuid.UUID | None, int, int]:
    """`<product id>:<pv>:<sv>` (None for `listings`); ValueError if malformed."""
    subject, pv, sv = change.split(":")
    product_id = None if subject == _LISTINGS else uuid.UUID(subject)
    return product_id, int(pv), int(sv)


class _Broadcast:
    """One invalidation message: the changes queued together, and who waits for them.

    Counts acknowledgements; `finish` releases each waiting writer (each has
    its own future, so one giving up leaves the others waiting), which the
    cache's `_release` calls once every receiver answered, on a timeout or on
    a failed send.
    """

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self.changes: dict[str, tuple[int, int]] = {}
        """Product id (or `_LISTINGS`) -> the newest product and stock versions queued."""
        self._waiters: list[asyncio.Future[None]] = []
        self._acks = 0
        self._expected: int | None = None
        self._give_up: asyncio.TimerHandle | None = None
        self.finished = False

    @property
    def full(self) -> bool:
        return len(self.changes) >= MAX_CHANGES_PER_BROADCAST

    def add(self, subject: str, product_version: int, stock_version: int) -> asyncio.Future[None]:
        """Queue one change (merged with one of the same product) and return its waiter."""
        pv, sv = self.changes.get(subject, (0, 0))
        self.changes[subject] = (max(pv, product_version), max(sv, stock_version))
        return self.settled()

    def settled(self) -> asyncio.Future[None]:
        """A future done once every receiver acknowledged, or the sender gave up."""
        waiter = asyncio.get_running_loop().create_future()
        if self.finished:
            waiter.set_result(None)
        self._waiters.append(waiter)
        return waiter

    def products(self) -> dict[uuid.UUID, tuple[int, int]]:
        return {uuid.UUID(subject): versions for subject, versions in self.changes.items()
                if subject != _LISTINGS}

    def message(self) -> str:
        """`<id>:<pv>:<sv>[,<id>:<pv>:<sv>...]:<token>`; one change reads as before batching."""
        changes = ",".join(f"{subject}:{pv}:{sv}" for subject, (pv, sv) in self.changes.items())
        return f"{changes}:{self.token}"

    def describe(self) -> str:
        if len(self.changes) == 1:
            subject = next(iter(self.changes))
            return "the list pages" if subject == _LISTINGS else subject
        return f"{len(self.changes)} changes"

    def expect(self, receivers: int, give_up: asyncio.TimerHandle | None = None) -> bool:
        """How many received it; True once every one of them has acknowledged."""
        self._expected = receivers
        self._give_up = give_up
        return self.acknowledged

    def ack(self) -> bool:
        """One receiver applied it; True once every one of them has."""
        self._acks += 1
        return self.acknowledged

    @property
    def acknowledged(self) -> bool:
        return self._expected is not None and self._acks >= self._expected

    def finish(self) -> None:
        """Release every writer waiting for this broadcast, acknowledged or not."""
        self.finished = True
        if self._give_up is not None:
            self._give_up.cancel()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)


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
        self._waiting: dict[str, _Broadcast] = {}
        """This process's broadcasts sent and not yet acknowledged by every receiver."""
        self._queued: list[_Broadcast] = []
        self._broadcast_queued = asyncio.Event()
        self._broadcaster: asyncio.Task[None] | None = None
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
        await self._announce(str(product_id), product_version, stock_version)

    async def invalidate_listings(self) -> None:
        """Every process's list pages are dropped before this returns."""
        self._clear_listings()
        await self._announce(_LISTINGS, 0, 0)

    async def _announce(self, subject: str, product_version: int, stock_version: int) -> None:
        """Queue one change for the next broadcast; wait until every receiver applied it.

        Without the broadcasting task (not started, or stopped), the change
        goes out at once in a broadcast of its own.
        """
        if self._broadcaster is None:
            alone = _Broadcast()
            waiter = alone.add(subject, product_version, stock_version)
            await self._send(alone)
            await waiter
            return
        if not self._queued or self._queued[-1].full:
            self._queued.append(_Broadcast())
            self._broadcast_queued.set()
        await self._queued[-1].add(subject, product_version, stock_version)

    async def _send_broadcasts(self) -> None:
        """Send the queued broadcasts one after the other; what queues meanwhile goes next.

        Only the send is waited for here, not the acknowledgements, so a slow
        receiver delays no later broadcast.
        """
        while True:
            await self._broadcast_queued.wait()
            self._broadcast_queued.clear()
            while self._queued:
                broadcast = self._queued.pop(0)
                try:
                    await self._send(broadcast)
                except asyncio.CancelledError:  # stopping: `stop` sends it
                    self._queued.insert(0, broadcast)
                    raise

    async def _send(self, broadcast: _Broadcast) -> None:
        """Invalidate the shared entries and publish, in one script; expect the acks.

        The script says how many processes received the message; the writers
        are released when that many have acknowledged it, or after
        `_ACK_TIMEOUT_SECONDS` with an error logged. A failed send is logged
        and releases them at once (the feeds are best effort; so is the cache's
        coherence when Redis itself fails, and entries expire in any case).
        """
        self._waiting[broadcast.token] = broadcast
        try:
            receivers = await self._shared.invalidate_and_publish(
                broadcast.products(), self._channel, broadcast.message())
        except asyncio.CancelledError:
            self._waiting.pop(broadcast.token, None)
            raise
        except Exception as error:  # the broadcasting task must outlive any failure
            log.error("near-cache invalidation failed for %s (shared cache or broadcast)",
                      broadcast.describe(), exc_info=error)
            self._release(broadcast)
            return
        give_up = asyncio.get_running_loop().call_later(
            _ACK_TIMEOUT_SECONDS, self._give_up_on, broadcast)
        if broadcast.expect(receivers, give_up):  # every receiver answered during the send
            self._release(broadcast)

    def _give_up_on(self, broadcast: _Broadcast) -> None:
        log.error("not every process acknowledged the invalidation of %s in %.1f s",
                  broadcast.describe(), _ACK_TIMEOUT_SECONDS)
        self._release(broadcast)

    def _release(self, broadcast: _Broadcast) -> None:
        """The one way a sent broadcast ends: acknowledged, given up on, or failed."""
        self._waiting.pop(broadcast.token, None)
        broadcast.finish()

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="near-cache-listener")
        if self._ack_sender is None:
            self._ack_sender = asyncio.create_task(self._send_acks(), name="near-cache-acks")
        if self._broadcaster is None:
            self._broadcaster = asyncio.create_task(self._send_broadcasts(),
                                                    name="near-cache-broadcasts")

    async def stop(self) -> None:
        if self._broadcaster is not None:
            self._broadcaster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._broadcaster
            self._broadcaster = None
            while self._queued:  # changes already committed: still tell the other processes
                await self._send(self._queued.pop(0))
            sent = [broadcast.settled() for broadcast in self._waiting.values()]
            if sent:  # their acknowledgements arrive through the listener, stopped below
                await asyncio.wait(sent, timeout=_ACK_TIMEOUT_SECONDS)
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
        changes, _, token = data.rpartition(":")
        if token in self._waiting:  # our own broadcast, applied before it was queued
            self._acknowledged(token)
            return
        try:
            products = [_parse_change(change) for change in changes.split(",")]
        except ValueError:
            log.warning("ignoring a malformed near-cache invalidation: %r", data)
            return
        for product_id, pv, sv in products:
            if product_id is not None:
                await self._local.invalidate(product_id, product_version=pv, stock_version=sv)
        self._clear_listings()
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
            broadcast = self._waiting.get(token)
            if broadcast is not None and broadcast.ack():
                self._release(broadcast)

    def _clear_listings(self) -> None:
        if self._listings is not None:
            self._listings.clear()

    def _forget_everything(self) -> None:
        self._local = InMemoryProductCache(ttl_seconds=self._ttl, max_entries=self._max_entries)
        self._clear_listings()
