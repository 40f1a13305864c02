"""The process monitor: resident memory as a gauge, a warning above the limit, loop lag."""

from __future__ import annotations

import asyncio
import logging
import os
import time

import pytest
from prometheus_client import REGISTRY

from shop.infrastructure.observability.process_monitor import (
    ProcessMonitor,
    resident_memory_bytes,
)


def value(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def block_the_loop(seconds: float) -> None:
    """What a handler doing CPU work or blocking I/O on the event loop does."""
    time.sleep(seconds)


def test_resident_memory_is_what_the_kernel_reports_for_this_process() -> None:
    with open(f"/proc/{os.getpid()}/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    assert resident_memory_bytes() == pytest.approx(kib * 1024, rel=0.2)


def test_memory_above_the_limit_is_logged_and_counted_once_per_crossing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="shop.process")
    before = value("shop_process_memory_warnings_total")
    monitor = ProcessMonitor(memory_warn_mb=1, metrics_dir=None)  # any Python process is above

    monitor.sample_memory()
    rss = monitor.sample_memory()

    assert value("shop_process_resident_memory_bytes") == rss
    assert value("shop_process_memory_warnings_total") == before + 1
    [record] = [r for r in caplog.records if "SHOP_MEMORY_WARN_MB" in r.getMessage()]
    assert record.limit_mb == 1  # type: ignore[attr-defined]


def test_a_limit_of_zero_never_warns(caplog: pytest.LogCaptureFixture) -> None:
    before = value("shop_process_memory_warnings_total")

    ProcessMonitor(memory_warn_mb=0, metrics_dir=None).sample_memory()

    assert value("shop_process_memory_warnings_total") == before
    assert not caplog.records


async def test_a_blocked_event_loop_shows_as_lag() -> None:
    monitor = ProcessMonitor(memory_warn_mb=0, metrics_dir=None, sample_seconds=0.01)
    await monitor.start()
    try:
        await asyncio.sleep(0.02)
        count, total = value("shop_event_loop_lag_seconds_count"), \
            value("shop_event_loop_lag_seconds_sum")
        block_the_loop(0.1)
        for _ in range(100):  # until the sample due during the block is recorded
            if value("shop_event_loop_lag_seconds_count") > count:
                break
            await asyncio.sleep(0.01)
    finally:
        await monitor.stop()

    assert value("shop_event_loop_lag_seconds_count") > count
    assert value("shop_event_loop_lag_seconds_sum") - total >= 0.05
