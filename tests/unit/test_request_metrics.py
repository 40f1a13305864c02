"""Request metrics counted in process reach Prometheus in batches, as if observed one by one."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Gauge, Histogram

from shop.infrastructure.observability.deferred_observations import FLUSH_SECONDS
from shop.infrastructure.observability.metrics import HTTP_LATENCY_BUCKETS
from shop.infrastructure.observability.request_metrics import RequestMetrics

DURATIONS = (0.0004, 0.001, 0.0011, 0.003, 0.003, 0.02, 0.7, 9.9, 42.0)
"""Below the first bucket, on a bound, between bounds, twice in one bucket, past the last."""


def fresh_metrics() -> tuple[CollectorRegistry, Histogram, Gauge]:
    registry = CollectorRegistry()
    histogram = Histogram("durations_seconds", "test", ("method", "route", "status"),
                          buckets=HTTP_LATENCY_BUCKETS, registry=registry)
    gauge = Gauge("in_flight", "test", registry=registry)
    return registry, histogram, gauge


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in registry.collect() for sample in family.samples
            if not sample.name.endswith("_created")}


def test_flushed_durations_expose_exactly_what_observing_each_one_gives() -> None:
    observed_registry, observed, _ = fresh_metrics()
    batched_registry, batched, gauge = fresh_metrics()
    recorder = RequestMetrics(batched, gauge)

    for seconds in DURATIONS:
        observed.labels(method="GET", route="/x", status="200").observe(seconds)
        recorder.started()
        recorder.finished("GET", "/x", 200, seconds)
    recorder.flush()

    assert samples(batched_registry) == {
        **samples(observed_registry), ("in_flight", ()): 0.0}


def test_a_request_reaches_prometheus_at_the_flush_and_not_before() -> None:
    registry, histogram, gauge = fresh_metrics()
    recorder = RequestMetrics(histogram, gauge)
    count = ("durations_seconds_count", (("method", "GET"), ("route", "/x"), ("status", "404")))

    async def serve_one() -> None:
        recorder.started()
        recorder.finished("GET", "/x", 404, 0.002)
        recorder.started()  # a second request, still being served
        assert samples(registry).get(count, 0) == 0
        assert samples(registry)[("in_flight", ())] == 0
        recorder.flush()

    asyncio.run(serve_one())

    assert samples(registry)[count] == 1
    assert samples(registry)[("in_flight", ())] == 1


def test_counted_requests_are_written_within_the_flush_interval_without_a_scrape() -> None:
    registry, histogram, gauge = fresh_metrics()
    recorder = RequestMetrics(histogram, gauge)

    async def serve_and_wait() -> None:
        recorder.started()
        recorder.finished("POST", "/y", 201, 0.03)
        await asyncio.sleep(FLUSH_SECONDS * 3)

    asyncio.run(serve_and_wait())

    assert samples(registry)[
        ("durations_seconds_count", (("method", "POST"), ("route", "/y"), ("status", "201")))] == 1


def test_two_recorders_of_one_process_add_up_on_the_shared_gauge() -> None:
    registry, histogram, gauge = fresh_metrics()
    first, second = RequestMetrics(histogram, gauge), RequestMetrics(histogram, gauge)

    async def both_busy_then_one_done() -> None:
        first.started()
        second.started()
        second.started()
        first.flush()
        second.flush()
        assert samples(registry)[("in_flight", ())] == 3
        second.finished("GET", "/z", 200, 0.001)
        second.flush()

    asyncio.run(both_busy_then_one_done())

    assert samples(registry)[("in_flight", ())] == 2
