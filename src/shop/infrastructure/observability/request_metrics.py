"""The HTTP request metrics, counted in plain Python and written to Prometheus in batches.

Every request moves `shop_http_requests_in_flight` up and down and adds to
`shop_http_request_duration_seconds`: four prometheus_client value writes.
Under `shop serve` those are multiprocess values, and each write takes a lock,
asks the kernel for the pid (to notice a fork) and packs into the mmap file:
on `/health/live` they were about a tenth of the server's time
(`bench/README.md`, `catalog_read.py`). So a request only counts in this
process: its duration goes to the deferred observations
(`deferred_observations.py`), and `flush()` writes those and the in-flight
count, `FLUSH_SECONDS` after the first change since the last write, before
`/metrics` answers (so the scraping process reports itself exactly), and when
the app stops.

What a scrape sees is unchanged but for time: another worker's last
`FLUSH_SECONDS` of requests may not be in it yet (Prometheus scrapes every
15 s or so); the in-flight gauge is that worker's count at its last write, and
an idle worker always wrote 0 last.

One recorder serves one app, on one event loop.
"""

from __future__ import annotations

from prometheus_client import Gauge, Histogram

from shop.infrastructure.observability.deferred_observations import (
    DEFERRED,
    FLUSH_SECONDS,
    DeferredObservations,
)
from shop.infrastructure.observability.flush_timer import FlushTimer
from shop.infrastructure.observability.metrics import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_IN_FLIGHT,
)

LabelSet = tuple[str, str, int]
"""method, route template, status."""


class RequestMetrics:
    """In-flight requests and request durations, written to Prometheus by `flush()`."""

    def __init__(self, durations: Histogram = HTTP_REQUEST_DURATION,
                 in_flight: Gauge = HTTP_REQUESTS_IN_FLIGHT,
                 observations: DeferredObservations = DEFERRED) -> None:
        self._histogram = durations
        self._gauge = in_flight
        self._observations = observations
        self._children: dict[LabelSet, Histogram] = {}
        self._in_flight = 0
        self._in_flight_written = 0
        self._timer = FlushTimer(self.flush, FLUSH_SECONDS)

    def started(self) -> None:
        self._in_flight += 1
        self._timer.arm()

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self._in_flight -= 1
        self._observations.observe(self._child((method, route, status)), seconds)
        self._timer.arm()

    def flush(self) -> None:
        """Write everything counted since the last write; call it on the recorder's loop.

        The deferred observations of the whole process go with it (the SQL
        statements' too), so a scrape sees them all.
        """
        self._timer.disarm()
        change = self._in_flight - self._in_flight_written
        if change:  # a change, not a set: other apps of this process share the gauge
            self._gauge.inc(change)
            self._in_flight_written = self._in_flight
        self._observations.flush()

    def _child(self, key: LabelSet) -> Histogram:
        """The histogram child of a label set; `labels()` takes a lock, a dict lookup does not."""
        child = self._children.get(key)
        if child is None:
            method, route, status = key
            child = self._histogram.labels(method=method, route=route, status=str(status))
            self._children[key] = child
        return child
