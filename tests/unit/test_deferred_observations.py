"""Histogram observations counted in process reach Prometheus in batches, as if made one by one."""

from __future__ import annotations

import asyncio
import threading

from prometheus_client import CollectorRegistry, Histogram

from shop.infrastructure.observability.deferred_observations import (
    FLUSH_SECONDS,
    DeferredObservations,
)
from tests.unit.test_request_metrics import samples

SECONDS = (0.00001, 0.0005, 0.001, 0.0011, 0.003, 0.003, 0.02, 0.7, 9.9, 42.0)
"""Below the first bucket, on a bound, between bounds, twice in one bucket, past the last."""


def a_histogram() -> tuple[CollectorRegistry, Histogram]:
    registry = CollectorRegistry()
    return registry, Histogram("statements_seconds", "test", ("kind",),
                               buckets=(0.0005, 0.001, 0.0025, 0.01, 1.0, 5.0), registry=registry)


def test_flushed_observations_expose_exactly_what_observing_each_one_gives() -> None:
    observed_registry, observed = a_histogram()
    deferred_registry, deferred = a_histogram()
    observations = DeferredObservations()

    for seconds in SECONDS:
        observed.labels("select").observe(seconds)
        observations.observe(deferred.labels("select"), seconds)
        observations.observe(deferred.labels("insert"), seconds / 2)
        observed.labels("insert").observe(seconds / 2)
    observations.flush()

    assert samples(deferred_registry) == samples(observed_registry)


def test_an_observation_reaches_prometheus_within_the_flush_interval_and_not_before() -> None:
    registry, histogram = a_histogram()
    observations = DeferredObservations()
    count = ("statements_seconds_count", (("kind", "update"),))

    async def observe_and_wait() -> None:
        observations.observe(histogram.labels("update"), 0.002)
        assert samples(registry).get(count, 0) == 0
        await asyncio.sleep(FLUSH_SECONDS * 3)

    asyncio.run(observe_and_wait())

    assert samples(registry)[count] == 1


def test_observations_left_by_a_loop_that_ended_are_written_by_the_next_one() -> None:
    """A closed loop's timer never fires: the next loop's flush writes what it left."""
    registry, histogram = a_histogram()
    observations = DeferredObservations()
    count = ("statements_seconds_count", (("kind", "select"),))

    async def observe() -> None:
        observations.observe(histogram.labels("select"), 0.002)

    asyncio.run(observe())
    assert samples(registry).get(count, 0) == 0
    asyncio.run(observe())
    observations.flush()

    assert samples(registry)[count] == 2


def test_an_observation_made_outside_any_event_loop_is_written_at_once() -> None:
    registry, histogram = a_histogram()
    observations = DeferredObservations()

    worker = threading.Thread(target=observations.observe, args=(histogram.labels("delete"), 0.5))
    worker.start()
    worker.join()

    assert samples(registry)[("statements_seconds_count", (("kind", "delete"),))] == 1
