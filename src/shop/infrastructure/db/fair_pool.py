"""A connection pool that hands its connections out in the order they were asked for.

SQLAlchemy's asyncio pool keeps the idle connections in an `asyncio.Queue`.
A returned connection wakes the longest waiter, but until that waiter runs,
any newcomer takes the connection at once (`get_nowait`), and the waiter,
finding the queue empty, queues again at the back. Under a burst (a flash
sale: 200 requests on a pool of 20, each order checking out twice) some
requests lose that race many times in a row, and the latency's tail grows to
several times its median (bench/README.md, `order_placement.py`). Here a
returned connection goes straight to the longest waiter, so a checkout waits
for the ones asked before it and for no one else.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import Empty, Full, QueueCommon

from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.infrastructure.observability.metrics import DB_POOL_WAIT

Item = TypeVar("Item")


class FairQueue(QueueCommon[Item]):
    """The pool's queue of idle connections: first asked, first served, no barging."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        self._idle: deque[Item] = deque()
        self._waiters: deque[asyncio.Future[Item]] = deque()

    def empty(self) -> bool:
        return not self._idle

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._idle)

    def qsize(self) -> int:
        return len(self._idle)

    def put(self, item: Item, block: bool = True, timeout: float | None = None) -> None:
        """Give `item` to the longest waiter still waiting, else keep it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that timed out or was cancelled is skipped
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._idle.append(item)

    def put_nowait(self, item: Item) -> None:
        self.put(item, block=False)

    def get(self, block: bool = True, timeout: float | None = None) -> Item:
        """An idle item now, or (when `block`) the next one returned, in turn.

        Idle items and waiters never coexist (`put` serves waiters first), so
        taking an idle item never jumps anyone's turn.
        """
        if self._idle:
            return self._idle.pop() if self.use_lifo else self._idle.popleft()
        if not block:
            raise Empty()
        return await_(self._wait_for_turn(timeout))

    def get_nowait(self) -> Item:
        return self.get(block=False)

    async def _wait_for_turn(self, seconds: float | None) -> Item:
        waiter: asyncio.Future[Item] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await waiter
        except BaseException as failure:
            if waiter.done() and not waiter.cancelled():
                # Handed an item in the same instant the wait ended (timeout or
                # cancellation): pass it on, or it would never return to the pool.
                self.put(waiter.result())
            else:
                waiter.cancel()
            if isinstance(failure, TimeoutError):
                raise Empty() from None
            raise


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, serving checkouts in arrival order."""

    _queue_class = FairQueue[ConnectionPoolEntry]

    def _do_get(self) -> ConnectionPoolEntry:
        """Every checkout's wait goes to `shop_db_pool_wait_seconds`, the pool's sizing signal."""
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            DEFERRED.observe(DB_POOL_WAIT, time.perf_counter() - started)
