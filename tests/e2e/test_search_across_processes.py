"""Two `shop serve` processes and a `shop worker` on PostgreSQL and Redis: a product
created through one server is found by a semantic search through the other.

On the production profile the servers do not consume events: the worker's
embedding indexer embeds the new product and stores its vector, and each
server's vector index catches up from the stored embeddings. So the search
through server B finds what was created through server A only if the whole
path works across processes: outbox, stream, worker, embedding store, catch-up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shop.settings import Settings
from tests.e2e.servers import ServerProcess, running_servers, settings_env
from tests.e2e.workers import WorkerProcess, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ADMIN = {"email": "admin@example.com", "password": "admin-password-1"}
SEARCH = "/api/v1/products/search"
DEADLINE_SECONDS = 90.0
"""Generous on a shared machine: the worker loads the model and embeds, the server catches up."""


@pytest.fixture
def settings(postgres_redis_settings: Settings, tmp_path: Path) -> Settings:
    return postgres_redis_settings.with_overrides(
        jwt_secret="search-across-" + "s" * 40, admin_email=ADMIN["email"],
        admin_password=ADMIN["password"], migrate_on_start=True, access_log=False,
        data_dir=tmp_path / "data", consumer_block_seconds=0.2,
        ai_index_refresh_seconds=0.2)


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = start_worker("worker-0", settings_env(settings), tmp_path / "logs")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
        print("----- worker-0 log tail")
        print(process.log_tail())


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path,
                worker: WorkerProcess) -> Iterator[list[ServerProcess]]:
    with running_servers(2, settings, tmp_path / "logs") as servers:
        yield servers


def test_a_product_created_through_one_server_is_found_semantically_through_the_other(
    two_servers: list[ServerProcess],
) -> None:
    with (httpx.Client(base_url=two_servers[0].base_url, timeout=30, trust_env=False) as a,
          httpx.Client(base_url=two_servers[1].base_url, timeout=30, trust_env=False) as b):
        token = a.post("/api/v1/auth/token", json=ADMIN).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        category = a.post("/api/v1/categories", json={"name": "Home"}, headers=admin).json()
        created = []
        for name, description in [
            ("Chesterfield couch", "Three-seat living room couch in green velvet"),
            ("Garden hose", "Thirty metres, with a spray nozzle"),
            ("Espresso machine", "Fifteen bar pump, steam wand for milk"),
        ]:
            response = a.post("/api/v1/products", headers=admin, json={
                "name": name, "description": description, "price": "100.00",
                "category_id": category["id"], "stock": 4})
            assert response.status_code == 201, response.text
            created.append(response.json())
        couch = created[0]

        deadline = time.monotonic() + DEADLINE_SECONDS
        found: list[str] = []
        while True:
            response = b.get(SEARCH, params={"q": "sofa", "mode": "semantic", "limit": 3})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["mode"] == "semantic"
            found = [item["product"]["id"] for item in body["items"]]
            if len(found) == len(created):
                break
            assert time.monotonic() < deadline, (
                f"server B found {found} of {[p['id'] for p in created]} after "
                f"{DEADLINE_SECONDS:.0f} s")
            time.sleep(0.2)

        assert found[0] == couch["id"]  # "sofa" is closest to the couch, by meaning alone
        assert body["items"][0]["product"]["name"] == "Chesterfield couch"
