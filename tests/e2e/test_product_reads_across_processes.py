"""Two real server processes sharing PostgreSQL and Redis: product reads stay fresh.

Each process keeps a near cache of product views in front of Redis; a write
through one process must be what the very next read through the other returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shop.settings import Settings
from tests.e2e.servers import ServerProcess, running_servers

ADMIN = {"email": "admin@example.com", "password": "admin-password-1"}


@pytest.fixture
def two_servers(postgres_redis_settings: Settings, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    settings = postgres_redis_settings.with_overrides(
        jwt_secret="cross-process-" + "s" * 40, admin_email=ADMIN["email"],
        admin_password=ADMIN["password"], migrate_on_start=True, access_log=False,
        data_dir=tmp_path / "data")
    with running_servers(2, settings, tmp_path / "logs") as servers:
        yield servers


def writer_reader_and_product(
    servers: list[ServerProcess],
) -> tuple[httpx.Client, httpx.Client, dict[str, str], dict[str, Any]]:
    """A client of each server, the admin's auth header, and a product made through the
    first (its views now cached nowhere)."""
    writer, reader = (httpx.Client(base_url=s.base_url, timeout=10) for s in servers)
    token = writer.post("/api/v1/auth/token", json=ADMIN).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    category = writer.post("/api/v1/categories", json={"name": "Shoes"}, headers=admin).json()
    product = writer.post("/api/v1/products", headers=admin, json={
        "name": "v0", "price": "10.00", "category_id": category["id"], "stock": 5}).json()
    return writer, reader, admin, product


def test_a_product_written_through_one_process_reads_fresh_through_the_other(
    two_servers: list[ServerProcess],
) -> None:
    writer, reader, admin, product = writer_reader_and_product(two_servers)
    path = f"/api/v1/products/{product['id']}"

    for version in range(1, 31):
        assert reader.get(path).status_code == 200  # the reader's near cache holds it now
        written = writer.patch(path, headers=admin, json={"name": f"v{version}",
                                                           "price": f"{10 + version}.00"})
        assert written.status_code == 200
        seen = reader.get(path).json()
        assert (seen["name"], seen["price"]) == (f"v{version}", f"{10 + version}.00")

    adjusted = writer.post(f"/api/v1/inventory/{product['id']}/adjustments", headers=admin,
                           json={"delta": -2, "reason": "damaged"})
    assert adjusted.status_code == 200
    assert reader.get(path).json()["stock"] == 3
    assert writer.delete(path, headers=admin).status_code == 204
    assert reader.get(path).status_code == 404


def test_a_list_page_read_through_one_process_shows_each_write_through_the_other(
    two_servers: list[ServerProcess],
) -> None:
    """The reader serves its list pages from memory, encoded once per page; each write
    through the writer must still be on the reader's very next page."""
    writer, reader, admin, product = writer_reader_and_product(two_servers)
    page = "/api/v1/products?limit=20"

    for version in range(1, 21):
        served = reader.get(page)
        assert served.content == reader.get(page).content  # again, from the reader's memory
        written = writer.patch(f"/api/v1/products/{product['id']}", headers=admin,
                               json={"price": f"{10 + version}.00"})
        assert written.status_code == 200
        items = reader.get(page).json()["items"]
        assert [(p["id"], p["price"]) for p in items] == [(product["id"], f"{10 + version}.00")]

    added = writer.post("/api/v1/products", headers=admin, json={
        "name": "second", "price": "1.00", "category_id": product["category_id"], "stock": 1})
    assert added.status_code == 201
    listed = reader.get(page).json()
    assert (listed["total"], {p["name"] for p in listed["items"]}) == (2, {"v0", "second"})
