"""The pool's queue serves waiters in turn and never loses a connection on a timeout or cancel."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlalchemy.util.queue import Empty, Full

from shop.infrastructure.db.fair_pool import FairQueue


async def _get(queue: FairQueue[str], seconds: float | None = None) -> str:
    """A blocking checkout as the pool makes it: inside SQLAlchemy's greenlet."""
    return await greenlet_spawn(queue.get, True, seconds)


async def _served(waiter: asyncio.Task[str]) -> str:
    """What a waiter got; a lost item fails the test instead of hanging it."""
    return await asyncio.wait_for(waiter, 2)


async def _queued(queue: FairQueue[str], count: int) -> list[asyncio.Task[str]]:
    waiters = []
    for _ in range(count):
        waiters.append(asyncio.create_task(_get(queue)))
        await asyncio.sleep(0)  # each one is in line before the next asks
    return waiters


async def test_waiters_are_served_in_the_order_they_asked() -> None:
    queue: FairQueue[str] = FairQueue(3)
    waiters = await _queued(queue, 3)
    for item in ("a", "b", "c"):
        queue.put(item, block=False)
    assert [await _served(waiter) for waiter in waiters] == ["a", "b", "c"]


async def test_an_item_returned_while_someone_waits_is_not_taken_by_a_newcomer() -> None:
    queue: FairQueue[str] = FairQueue(1)
    (waiter,) = await _queued(queue, 1)
    queue.put("connection", block=False)
    with pytest.raises(Empty):
        queue.get(block=False)  # the newcomer arrives before the waiter has run
    assert await _served(waiter) == "connection"


async def test_a_checkout_that_times_out_leaves_no_one_in_line_to_swallow_the_next_item() -> None:
    queue: FairQueue[str] = FairQueue(1)
    with pytest.raises(Empty):
        await _get(queue, seconds=0.01)
    queue.put("connection", block=False)
    assert queue.qsize() == 1
    assert queue.get(block=False) == "connection"


async def test_a_waiter_cancelled_just_after_being_served_passes_the_item_on() -> None:
    queue: FairQueue[str] = FairQueue(1)
    first, second = await _queued(queue, 2)
    queue.put("connection", block=False)  # handed to `first`, which has not run yet
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await _served(second) == "connection"


async def test_a_waiter_cancelled_with_no_one_behind_it_returns_the_item_to_the_idle_ones() -> None:
    queue: FairQueue[str] = FairQueue(1)
    (waiter,) = await _queued(queue, 1)
    queue.put("connection", block=False)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert queue.get(block=False) == "connection"


async def test_idle_items_go_out_oldest_first_or_newest_first_with_lifo() -> None:
    fifo: FairQueue[str] = FairQueue(2)
    lifo: FairQueue[str] = FairQueue(2, use_lifo=True)
    for queue in (fifo, lifo):
        queue.put("older", block=False)
        queue.put("newer", block=False)
    assert fifo.get(block=False) == "older"
    assert lifo.get(block=False) == "newer"


def test_a_full_queue_refuses_one_more_item() -> None:
    queue: FairQueue[str] = FairQueue(1)
    queue.put("one", block=False)
    assert queue.full()
    with pytest.raises(Full):
        queue.put("two", block=False)
