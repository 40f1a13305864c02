"""Readers missing the same value at once share one read instead of each making their own.

When a kept value expires or is dropped under load, every request that wants
it misses together; without this each would send its own query, so every
expiry of a busy key turns into a burst of identical database reads (a
thundering herd). The list pages (`cache/listings.py`) and the account
checks (`db/account_status.py`) both keep values that busy requests miss
together, and both go through here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class SharedReads(Generic[V]):
    """One read in flight per key; whoever asks for the key meanwhile awaits that read.

    A caller that must not see a read begun before some event (a write it
    has seen answered) puts something that event changes into its key, a
    generation, so it starts a read of its own instead of joining the older
    one. Each read runs as its own task: a reader that gives up (a client
    gone) cancels only its own wait, never the others'; a failed read fails
    every reader that shared it, and the next reader reads again.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._in_flight: dict[Hashable, asyncio.Task[V]] = {}

    async def read(self, key: Hashable, read: Callable[[], Coroutine[Any, Any, V]]) -> V:
        reading = self._in_flight.get(key)
        if reading is None or reading.get_loop() is not asyncio.get_running_loop():
            # (A read of another loop, one closed with the read unfinished, is never joined.)
            reading = asyncio.create_task(read(), name=self._name)
            self._in_flight[key] = reading
            reading.add_done_callback(self._landed(key))
        return await asyncio.shield(reading)

    def _landed(self, key: Hashable) -> Callable[[asyncio.Task[V]], None]:
        def landed(reading: asyncio.Task[V]) -> None:
            if self._in_flight.get(key) is reading:
                del self._in_flight[key]
            if not reading.cancelled():
                reading.exception()  # seen: its readers got it, or had all given up
        return landed
