"""`shop worker --metrics-port`: the worker's own metrics, for Prometheus to scrape.

The worker serves no HTTP API; its consumers' counters, the relay's and its
process's memory live only there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from shop.settings import Settings
from tests.e2e.servers import HOST, SHOP, free_port, settings_env
from tests.support.prometheus import families

READY_SECONDS = 60.0


def test_a_worker_serves_its_metrics_on_the_port_it_is_given(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SHOP_")},
           **settings_env(sqlite_settings), "NO_PROXY": "*"}
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([str(SHOP), "worker", "--metrics-host", HOST,
                               "--metrics-port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        text = scrape_when_up(f"http://{HOST}:{port}/metrics", worker)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
        log.close()

    exposed = families(text)
    assert "shop_process_resident_memory_bytes" in exposed
    assert exposed["shop_process_resident_memory_bytes"].samples[0].value > 0
    assert "shop_outbox_events_published" in exposed


def scrape_when_up(url: str, worker: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + READY_SECONDS
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        while True:
            assert worker.poll() is None, f"the worker exited with {worker.returncode}"
            try:
                response = client.get(url)
                if response.status_code == 200 and "shop_process_resident" in response.text:
                    value = families(response.text)["shop_process_resident_memory_bytes"]
                    if value.samples and value.samples[0].value > 0:
                        return response.text
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the worker's metrics port never answered"
            time.sleep(0.2)
