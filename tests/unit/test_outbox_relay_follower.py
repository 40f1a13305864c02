"""A process that does not lead the outbox relay tells the leader about each of its
commits, and asks for the lead and reads the backlog only once per poll interval."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from shop.infrastructure.events.relay import OutboxRelay
from tests.support.consumers import eventually


class FakeLock:
    """The relay lead, held by another process until `free` is set."""

    def __init__(self) -> None:
        self.asked = 0
        self.free = False

    async def hold(self) -> bool:
        self.asked += 1
        return self.free

    async def release(self) -> None:
        return None


class FakeWake:
    def __init__(self) -> None:
        self.announced = 0

    async def announce(self) -> None:
        self.announced += 1

    async def listen(self, wake: Callable[[], None]) -> None:
        await asyncio.Event().wait()  # nobody else announces here


class Counting:
    """Stands in for the relay's database reads: counts them, touches no database."""

    def __init__(self, answer: int = 0) -> None:
        self.calls = 0
        self._answer = answer

    async def __call__(self) -> int:
        self.calls += 1
        return self._answer


def follower(poll_seconds: float) -> tuple[OutboxRelay, FakeLock, FakeWake, Counting, Counting]:
    lock, wake = FakeLock(), FakeWake()
    # No engine and no publisher: the two methods that would use them are replaced below.
    relay = OutboxRelay(engine=cast(Any, None), publisher=cast(Any, None), lock=lock,
                        poll_seconds=poll_seconds, cross_process_wake=wake)
    backlog_reads, relay_passes = Counting(), Counting()
    relay.observe_backlog = backlog_reads
    relay.relay_once = relay_passes
    return relay, lock, wake, backlog_reads, relay_passes


async def test_a_follower_tells_the_leader_of_every_commit_but_asks_for_the_lead_once_a_poll(
) -> None:
    relay, lock, wake, backlog_reads, relay_passes = follower(poll_seconds=60.0)
    await relay.start()
    try:
        await eventually(lambda: lock.asked == 1, "the follower asked for the lead at start")
        for commits in range(1, 6):
            relay.wake()
            await eventually(lambda n=commits: wake.announced == n,
                        f"commit {commits} was announced")
        assert lock.asked == 1
        assert backlog_reads.calls == 1
        assert relay_passes.calls == 0
    finally:
        await relay.stop()


async def test_a_follower_takes_the_lead_at_the_first_pass_after_a_poll_once_it_is_free(
) -> None:
    relay, lock, wake, _, relay_passes = follower(poll_seconds=0.05)
    await relay.start()
    try:
        await eventually(lambda: lock.asked >= 1, "the follower asked for the lead")
        lock.free = True  # the leader's lease ran out
        await eventually(lambda: relay_passes.calls >= 1, "the follower relays once it leads")
        relay.wake()
        await eventually(lambda: relay_passes.calls >= 2, "the leader relays again")
        assert wake.announced == 0  # a leader relays its own commits: nobody to tell
    finally:
        await relay.stop()
