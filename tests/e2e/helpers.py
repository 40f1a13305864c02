"""What the e2e tests share: a client that refuses 500s, catalog set-up, problem checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

PROBLEM_JSON = "application/problem+json"

Json = dict[str, Any]


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Run the app's lifespan around a test client; fail the test if anything answered 500.

    502 and 503 stay allowed: they are deliberate answers (payment gateway, readiness).
    """
    server_errors: list[str] = []

    async def record_server_error(response: httpx.Response) -> None:
        if response.status_code == 500:
            await response.aread()
            server_errors.append(
                f"{response.request.method} {response.request.url.path} -> {response.text}"
            )

    async with AsyncTestClient(app=app) as client:
        client.event_hooks = {"response": [record_server_error]}
        yield client
    assert not server_errors, f"server errors answered: {server_errors}"


class Catalog:
    """Short ways to put categories and products in place through the public API."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client

    async def category(self, name: str = "Shoes", parent: Json | None = None) -> Json:
        body: Json = {"name": name}
        if parent is not None:
            body["parent_id"] = parent["id"]
        return await self._created("/api/v1/categories", body)

    async def product(self, category: Json, **fields: Any) -> Json:
        body: Json = {
            "name": "Trail runner",
            "price": "89.90",
            "category_id": category["id"],
            "stock": 10,
            **fields,
        }
        return await self._created("/api/v1/products", body)

    async def _created(self, path: str, body: Json) -> Json:
        response = await self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created


def assert_problem(response: httpx.Response, status: int, problem_type: str | None = None) -> Json:
    """The response is an RFC 9457 problem with this status (and type); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: Json = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if problem_type is not None:
        assert body["type"] == problem_type
    return body


def error_fields(body: Json) -> set[str]:
    return {error["field"] for error in body["errors"]}
