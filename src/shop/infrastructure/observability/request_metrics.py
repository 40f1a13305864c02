"""The HTTP request metrics, counted in plain Python and written to Prometheus in batches.

Every request moves `shop_http_requests_in_flight` up and down and adds to
`shop_http_request_duration_seconds`: four prometheus_client value writes.
Under `shop serve` those are multiprocess values, and each write takes a lock,
asks the kernel for the pid (to notice a fork) and packs into the mmap file:
on `/health/live` they were about a tenth of the server's time
(`bench/README.md`, `catalog_read.py`). So a request only counts in this
process, and `flush()` writes what was counted: `FLUSH_SECONDS` after the
first change since the last write, before `/metrics` answers (so the scraping
process reports itself exactly), and when the app stops.

What a scrape sees is unchanged but for time: another worker's last
`FLUSH_SECONDS` of requests may not be in it yet (Prometheus scrapes every
15 s or so); the in-flight gauge is that worker's count at its last write, and
an idle worker always wrote 0 last.

One recorder serves one app, on one event loop.
"""

from __future__ import annotations

import asyncio
import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Final

from prometheus_client import Gauge, Histogram

from shop.infrastructure.observability.metrics import (
    HTTP_LATENCY_BUCKETS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_IN_FLIGHT,
)

FLUSH_SECONDS: Final = 0.1
"""How long another worker's requests may wait before a scrape sees them."""

_UPPER_BOUNDS: Final = (*HTTP_LATENCY_BUCKETS, math.inf)

LabelSet = tuple[str, str, int]
"""method, route template, status."""


@dataclass(slots=True)
class _Durations:
    """The requests of one label set since the last write: one count per bucket, their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * len(_UPPER_BOUNDS))
    total: float = 0.0


class RequestMetrics:
    """In-flight requests and request durations, written to Prometheus by `flush()`."""

    def __init__(self, durations: Histogram = HTTP_REQUEST_DURATION,
                 in_flight: Gauge = HTTP_REQUESTS_IN_FLIGHT) -> None:
        self._histogram = durations
        self._gauge = in_flight
        self._children: dict[LabelSet, Histogram] = {}
        self._pending: dict[LabelSet, _Durations] = {}
        self._in_flight = 0
        self._in_flight_written = 0
        self._scheduled: asyncio.TimerHandle | None = None

    def started(self) -> None:
        self._in_flight += 1
        if self._scheduled is None:
            self._schedule()

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self._in_flight -= 1
        key = (method, route, status)
        durations = self._pending.get(key)
        if durations is None:
            durations = self._pending[key] = _Durations()
        durations.counts[bisect_left(_UPPER_BOUNDS, seconds)] += 1  # le: seconds <= bound
        durations.total += seconds
        if self._scheduled is None:
            self._schedule()

    def flush(self) -> None:
        """Write everything counted since the last write; call it on the recorder's loop."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        change = self._in_flight - self._in_flight_written
        if change:  # a change, not a set: other apps of this process share the gauge
            self._gauge.inc(change)
            self._in_flight_written = self._in_flight
        pending, self._pending = self._pending, {}
        for key, durations in pending.items():
            _add(self._child(key), durations)

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a direct call): nothing to wait for
            self.flush()
            return
        self._scheduled = loop.call_later(FLUSH_SECONDS, self.flush)

    def _child(self, key: LabelSet) -> Histogram:
        """The histogram child of a label set; `labels()` takes a lock, a dict lookup does not."""
        child = self._children.get(key)
        if child is None:
            method, route, status = key
            child = self._histogram.labels(method=method, route=route, status=str(status))
            self._children[key] = child
        return child


def _add(child: Histogram, durations: _Durations) -> None:
    """What `observe()` of each duration would have written, in one write per bucket.

    prometheus_client has no public call that observes a value n times, so this
    writes the child's values as `Histogram.observe` does (`_sum`, and the one
    `_buckets` entry of each observation: they are stored per bucket and summed
    up when collected). prometheus_client is pinned; `test_request_metrics.py`
    checks that both give the same exposition.
    """
    child._sum.inc(durations.total)
    for index, count in enumerate(durations.counts):
        if count:
            child._buckets[index].inc(count)
