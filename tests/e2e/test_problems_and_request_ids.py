"""What every response shares: problem+json errors, no leaked internals, an `X-Request-ID`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.bootstrap import build_runtime
from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import Catalog, assert_problem, error_fields

Client = AsyncTestClient[Litestar]
SECRET = "SELECT password_hash FROM customers -- secret-token-123"
JSON = "application/json"


def json_lines(output: str) -> list[dict[str, Any]]:
    """The structured log lines a test printed (other output is ignored)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


async def test_malformed_json_answers_400_naming_the_body(client: Client) -> None:
    response = await client.post(
        "/api/v1/categories", content=b'{"name": "Shoes"', headers={"content-type": JSON}
    )

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {"body"}


async def test_an_empty_body_answers_400(client: Client) -> None:
    response = await client.post(
        "/api/v1/categories", content=b"", headers={"content-type": JSON}
    )

    assert error_fields(assert_problem(response, 400, "/problems/validation")) == {"body"}


async def test_a_json_array_instead_of_an_object_answers_400(client: Client) -> None:
    response = await client.post("/api/v1/categories", json=[{"name": "Shoes"}])

    assert_problem(response, 400, "/problems/validation")


async def test_an_unknown_path_answers_404_problem_json(embedded_client: Client) -> None:
    response = await embedded_client.get("/api/v1/nothing-here")

    body = assert_problem(response, 404, "/problems/not-found")
    assert body["instance"] == "/api/v1/nothing-here"


async def test_a_method_the_path_does_not_answer_is_405_problem_json_with_allow(
    embedded_client: Client,
) -> None:
    response = await embedded_client.put("/api/v1/categories", json={"name": "x"})

    assert_problem(response, 405, "/problems/method-not-allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}


async def test_a_client_request_id_is_echoed(embedded_client: Client) -> None:
    response = await embedded_client.get("/health/live", headers={"X-Request-ID": "abc-123.XYZ"})

    assert response.headers["x-request-id"] == "abc-123.XYZ"


async def test_a_request_id_is_generated_when_the_client_sends_none(
    embedded_client: Client,
) -> None:
    first = await embedded_client.get("/health/live")
    second = await embedded_client.get("/health/live")

    generated = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(generated) == 2
    assert all(uuid.UUID(value) for value in generated)


@pytest.mark.parametrize(
    "unusable", [b"", b"x" * 201, "caf\u00e9".encode(), b"tab\there"],
    ids=["empty", "too-long", "non-ascii", "control-character"],
)
async def test_an_unusable_client_request_id_is_replaced_by_a_new_one(
    embedded_client: Client, unusable: bytes
) -> None:
    response = await embedded_client.get("/health/live", headers={b"X-Request-ID": unusable})

    echoed = response.headers["x-request-id"]
    assert echoed.encode() != unusable
    uuid.UUID(echoed)


async def test_a_request_id_of_200_printable_characters_is_kept(embedded_client: Client) -> None:
    longest = "r" * 199 + "~"

    response = await embedded_client.get("/health/live", headers={"X-Request-ID": longest})

    assert response.headers["x-request-id"] == longest


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/health/live"), ("GET", f"/api/v1/products/{uuid.uuid4()}"),
     ("POST", "/api/v1/categories")],
)
async def test_error_responses_carry_the_request_id_too(
    embedded_client: Client, method: str, path: str
) -> None:
    response = await embedded_client.request(method, path, headers={"X-Request-ID": "trace-1"})

    assert response.status_code >= 400
    assert response.headers["x-request-id"] == "trace-1"


@pytest.fixture
async def failing_client(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    """An app whose queries blow up with a message full of internals, as a driver error would."""
    runtime = build_runtime(sqlite_settings.with_overrides(log_level="INFO"))

    async def explode(query: object) -> object:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(runtime.bus, "ask", explode)
    async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
        yield client


async def test_an_unexpected_failure_answers_a_bare_500_problem(failing_client: Client) -> None:
    response = await failing_client.get("/api/v1/categories", headers={"X-Request-ID": "boom-1"})

    body = assert_problem(response, 500, "/problems/internal-server-error")
    assert response.headers["x-request-id"] == "boom-1"
    assert set(body) <= {"type", "title", "status", "detail", "instance"}
    for leak in ("SELECT", "secret", "Traceback", "RuntimeError", ".py"):
        assert leak not in response.text


async def test_an_unexpected_failure_is_logged_with_its_stack_trace_and_request_id(
    failing_client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    await failing_client.get("/api/v1/categories", headers={"X-Request-ID": "boom-2"})

    lines = json_lines(capsys.readouterr().out)
    (error,) = [line for line in lines if line.get("event") == "unhandled error"]
    assert error["request_id"] == "boom-2"
    assert error["level"] == "error"
    assert SECRET in error["exception"]
    assert "Traceback" in error["exception"]


async def test_each_request_is_logged_as_one_json_access_line(
    failing_client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    await failing_client.get("/health/live", headers={"X-Request-ID": "log-1"})

    lines = json_lines(capsys.readouterr().out)
    (access,) = [line for line in lines if line.get("request_id") == "log-1"]
    assert access["method"] == "GET"
    assert access["route"] == "/health/live"
    assert access["path"] == "/health/live"
    assert access["status"] == 200
    assert access["duration_ms"] >= 0


async def test_a_product_read_again_from_the_cache_carries_its_own_request_id_and_headers_once(
    client: Client, catalog: Catalog
) -> None:
    boot = await catalog.product(await catalog.category(), name="Boot")

    first = await client.get(f"/api/v1/products/{boot['id']}")
    second = await client.get(f"/api/v1/products/{boot['id']}")

    assert first.json() == second.json() == boot
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    for name in ("x-request-id", "x-content-type-options", "content-type", "content-length"):
        assert len(second.headers.get_list(name)) == 1, name
