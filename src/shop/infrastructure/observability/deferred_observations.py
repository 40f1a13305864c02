"""Histogram observations counted in plain Python and written to Prometheus in batches.

Under `shop serve` every prometheus_client value is a multiprocess value, and
each write takes a lock, asks the kernel for the pid (to notice a fork) and
packs into an mmap file. A histogram observation is two such writes, ~1.9 us
against ~0.7 us counted here, and the order path makes about a dozen per
request (each SQL statement, each pool checkout, each feed publish): py-spy
put them at ~4 % of a worker's time under load, a microbenchmark at ~15 us of
an order's ~4 ms (`bench/README.md`). Here an observation only counts in this process;
`flush()` writes the counts, one write per bucket that moved and one for the
sum: `FLUSH_SECONDS` after the first observation since the last write, before
`/metrics` answers (so the scraping process reports itself exactly), and when
the app stops.

What a scrape sees is what observing each value would have shown, but for
time: another worker's last `FLUSH_SECONDS` may not be in it yet.

`DEFERRED` is the process's one instance; it may be fed from any thread and
any event loop (it writes at once when there is no running loop).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from prometheus_client import Histogram

from shop.infrastructure.observability.flush_timer import FlushTimer

FLUSH_SECONDS: Final = 0.1
"""How long another worker's observations may wait before a scrape sees them."""


@dataclass(slots=True)
class _Counted:
    """The observations of one histogram child since the last write."""

    upper_bounds: Sequence[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.upper_bounds)

    def add(self, seconds: float) -> None:
        self.counts[bisect_left(self.upper_bounds, seconds)] += 1  # le: seconds <= bound
        self.total += seconds


class DeferredObservations:
    """Observations of any histogram children, written to Prometheus by `flush()`."""

    def __init__(self) -> None:
        self._counted: dict[Histogram, _Counted] = {}
        self._lock = threading.Lock()
        self._timer = FlushTimer(self.flush, FLUSH_SECONDS)

    def observe(self, child: Histogram, seconds: float) -> None:
        """What `child.observe(seconds)` does, written at the next flush."""
        with self._lock:
            counted = self._counted.get(child)
            if counted is None:
                counted = self._counted[child] = _Counted(child._upper_bounds)
            counted.add(seconds)
        self._timer.arm()

    def flush(self) -> None:
        """Write everything observed since the last write."""
        self._timer.disarm()  # first: an observation made meanwhile arms it again
        with self._lock:
            counted, self._counted = self._counted, {}
        for child, observations in counted.items():
            _write(child, observations)


def _write(child: Histogram, observations: _Counted) -> None:
    """What `observe()` of each value would have written, in one write per bucket.

    prometheus_client has no public call that observes a value n times, so this
    writes the child's values as `Histogram.observe` does (`_sum`, and the one
    `_buckets` entry of each observation: they are stored per bucket and summed
    up when collected). prometheus_client is pinned;
    `test_deferred_observations.py` checks that both give the same exposition.
    """
    child._sum.inc(observations.total)
    for index, count in enumerate(observations.counts):
        if count:
            child._buckets[index].inc(count)


DEFERRED: Final = DeferredObservations()
"""The process's deferred observations (every app and engine of it writes through this)."""
