"""The process's own health: resident memory and event-loop lag, sampled in the background.

Event-loop lag is how much later than scheduled a sleeping task wakes up: it is
the wait that every request, websocket message and event handler of the
process pays on top of its own work, so it is what users feel first when a
handler blocks the loop or the process is overloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
from pathlib import Path
from typing import Final

from shop.infrastructure.observability.metrics import (
    EVENT_LOOP_LAG,
    PROCESS_MEMORY_WARNINGS,
    PROCESS_RESIDENT_MEMORY,
    forget_process,
)

log = logging.getLogger("shop.process")

SAMPLE_SECONDS: Final = 0.5
_STATM: Final = Path("/proc/self/statm")
_PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_memory_bytes() -> int:
    """Current RSS from /proc on Linux; elsewhere the peak RSS, the closest portable figure."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak_kib) * 1024


class ProcessMonitor:
    """Samples memory and loop lag every `sample_seconds` while the runtime runs."""

    def __init__(self, *, memory_warn_mb: int, metrics_dir: Path | None,
                 sample_seconds: float = SAMPLE_SECONDS) -> None:
        self._warn_bytes = memory_warn_mb * 1024 * 1024
        self._metrics_dir = metrics_dir
        self._sample_seconds = sample_seconds
        self._above_limit = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self.sample_memory()
            self._task = asyncio.create_task(self._run(), name="process-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        forget_process(self._metrics_dir, os.getpid())

    def sample_memory(self) -> int:
        """Set the gauge; log and count once each time the memory goes above the limit."""
        rss = resident_memory_bytes()
        PROCESS_RESIDENT_MEMORY.set(rss)
        above = 0 < self._warn_bytes < rss
        if above and not self._above_limit:
            PROCESS_MEMORY_WARNINGS.inc()
            log.warning("resident memory above SHOP_MEMORY_WARN_MB", extra={
                "resident_mb": round(rss / 1024 / 1024, 1),
                "limit_mb": self._warn_bytes // (1024 * 1024),
            })
        self._above_limit = above
        return rss

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._sample_seconds
            await asyncio.sleep(self._sample_seconds)
            EVENT_LOOP_LAG.observe(max(0.0, loop.time() - due))
            self.sample_memory()
