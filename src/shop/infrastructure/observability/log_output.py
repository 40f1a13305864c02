"""Where log lines go: the current stdout, in order; the access log's lines in batches.

Writing and flushing a line is a system call, and with the access log on every
request paid one: ~1.6 us to /dev/null, ~3.6 us to a file, more to a pipe,
whose reader wakes for every line, against ~29 us for the whole of an in-process
`/health/live` (bench/README.md, 2026-12-07 18:20). So the lines of loggers
that write one per request are held and written together, `HOLD_SECONDS` after
the first, or once `MAX_HELD_LINES` wait. Every other line is written at once,
after the held ones, so the output keeps its order: a warning never overtakes
the request lines before it. Held lines are also written when the app stops and
when the process exits; a process killed outright loses at most the last
`HOLD_SECONDS` of request lines.
"""

from __future__ import annotations

import atexit
import sys
import threading
from typing import Final

from shop.infrastructure.observability.flush_timer import FlushTimer

HOLD_SECONDS: Final = 0.1
MAX_HELD_LINES: Final = 256


class LogOutput:
    """Lines to the stdout of the moment they are written (pytest's capture, a redirect)."""

    def __init__(self) -> None:
        self._held: list[str] = []
        self._lock = threading.RLock()  # a line logged while writing (a warning) must not hang
        self._timer = FlushTimer(self.flush, HOLD_SECONDS)

    def write(self, line: str) -> None:
        """Write `line` now, after any held lines."""
        with self._lock:
            self._held.append(line)
            self._write_held()

    def hold(self, line: str) -> None:
        """Write `line` with the next batch."""
        with self._lock:
            self._held.append(line)
            if len(self._held) >= MAX_HELD_LINES:
                self._write_held()
                return
        self._timer.arm()

    def flush(self) -> None:
        """Write the held lines now."""
        self._timer.disarm()  # first: a line held meanwhile arms it again
        with self._lock:
            self._write_held()

    def _write_held(self) -> None:
        if not self._held:
            return
        lines, self._held = self._held, []
        stream = sys.stdout
        stream.write("\n".join(lines) + "\n")
        stream.flush()


LOG_OUTPUT: Final = LogOutput()
"""The process's one log output (structlog's and the standard library's lines)."""
atexit.register(LOG_OUTPUT.flush)
