"""When a batch is written: a set time after the first change since the last write."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class FlushTimer:
    """Calls `flush` `seconds` after `arm()`, on the event loop running then; at once without one.

    Arming again while the loop it was armed on runs does nothing, so a burst of
    changes makes one write, and costs no question for the running loop (a
    system call, getpid, on Python 3.11). Once that loop has stopped (a closed
    loop's timer never fires), the loop running now takes over. Without a
    running loop (a thread, a script) there is nothing to wait on, so `flush`
    runs at once. `flush` calls `disarm()`, so the next change starts a new
    interval.
    """

    def __init__(self, flush: Callable[[], None], seconds: float) -> None:
        self._flush = flush
        self._seconds = seconds
        self._lock = threading.Lock()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def arm(self) -> None:
        armed_on = self._loop
        if armed_on is not None and armed_on.is_running():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        with self._lock:
            if self._handle is not None:
                self._handle.cancel()
            self._loop = loop
            self._handle = loop.call_later(self._seconds, self._flush)

    def disarm(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.cancel()
            self._handle = self._loop = None
