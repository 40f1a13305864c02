"""`/metrics` under `shop serve --workers 2`: every worker's values, added up.

Each worker of a granian server has its own memory; a scrape reaches one of
them. These tests send known traffic over fresh connections (so the kernel
spreads it over both workers) and check that whichever worker answers the
scrape reports exactly what was sent, and both workers' memory. Several
workers need Redis (`test_serve_command.py`), so these run on PostgreSQL + Redis.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from shop.settings import Settings
from tests.e2e.servers import ServerProcess, running_servers
from tests.support.prometheus import label_values, sample_value

REQUESTS = 24
SETTLE_SECONDS = 10.0
LIVE_COUNT = "shop_http_request_duration_seconds_count"


def send_fresh_connections(server: ServerProcess, path: str, count: int) -> None:
    for _ in range(count):
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=5.0) as client:
            client.get(path)


Expected = tuple[str, dict[str, str], float]
"""A sample's name, some of its labels, and the value it should reach."""


def scrape_until(server: ServerProcess, *expected: Expected) -> str:
    """A scrape once every expected sample reached its value: a worker writes its
    request metrics in batches, up to 0.1 s after it answered (`request_metrics.py`),
    so another worker's last requests may land a moment after the client got them."""
    deadline = time.monotonic() + SETTLE_SECONDS
    with httpx.Client(base_url=server.base_url, trust_env=False, timeout=5.0) as client:
        while True:
            response = client.get("/metrics")
            assert response.status_code == 200, response.text
            reached = all(sample_value(response.text, name, labels) >= value
                          for name, labels, value in expected)
            if reached or time.monotonic() > deadline:
                return response.text
            time.sleep(0.1)


def test_a_scrape_of_two_workers_counts_every_request_exactly_once(
    postgres_redis_settings: Settings, tmp_path: Path
) -> None:
    with running_servers(1, postgres_redis_settings, tmp_path / "logs", workers=2) as (server,):
        send_fresh_connections(server, "/health/live", REQUESTS)
        send_fresh_connections(server, "/no/such/page/42", 3)
        live = {"route": "/health/live", "method": "GET", "status": "200"}
        unmatched = {"route": "unmatched", "status": "404"}
        text = scrape_until(server, (LIVE_COUNT, live, REQUESTS), (LIVE_COUNT, unmatched, 3))

        assert sample_value(text, LIVE_COUNT, live) == REQUESTS
        assert sample_value(text, LIVE_COUNT, unmatched) == 3
        assert len(label_values(text, "shop_process_resident_memory_bytes", "pid")) == 2
        assert sample_value(text, "shop_http_requests_in_flight") == 1  # the scrape itself


def test_serve_empties_a_configured_metrics_directory_before_its_workers_start(
    postgres_redis_settings: Settings, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_4242.db").write_bytes(b"left by a crashed earlier run")
    settings = postgres_redis_settings.with_overrides(metrics_dir=metrics_dir)

    with running_servers(1, settings, tmp_path / "logs", workers=2) as (server,):
        send_fresh_connections(server, "/health/live", 5)
        live = {"route": "/health/live", "status": "200"}
        text = scrape_until(server, (LIVE_COUNT, live, 5))

        assert sample_value(text, LIVE_COUNT, live) == 5
        assert not (metrics_dir / "counter_4242.db").exists()
