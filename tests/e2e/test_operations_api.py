"""Health probes, Prometheus metrics and the API docs (OpenAPI + offline Swagger UI)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from shop.bootstrap import build_runtime
from shop.infrastructure.observability import request_metrics
from shop.interfaces.http.app import create_app
from shop.interfaces.http.dto.fields import PRICE_PATTERN
from shop.interfaces.http.openapi import SWAGGER_ASSETS_DIR
from shop.settings import Settings
from tests.e2e.helpers import PROBLEM_JSON, Catalog, assert_problem

Client = AsyncTestClient[Litestar]

CATALOG_OPERATIONS = {
    ("/api/v1/categories", "get"), ("/api/v1/categories", "post"),
    ("/api/v1/categories/tree", "get"),
    ("/api/v1/categories/{category_id}", "get"), ("/api/v1/categories/{category_id}", "patch"),
    ("/api/v1/categories/{category_id}", "delete"),
    ("/api/v1/products", "get"), ("/api/v1/products", "post"),
    ("/api/v1/products/{product_id}", "get"), ("/api/v1/products/{product_id}", "patch"),
    ("/api/v1/products/{product_id}", "delete"),
}
SWAGGER_ASSETS = (
    "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
    "favicon-32x32.png",
)


async def test_liveness_answers_ok(embedded_client: Client) -> None:
    response = await embedded_client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_answers_ok_with_each_check(client: Client) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert set(body["checks"].values()) == {"ok"}


@pytest.fixture
async def unready_client(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    runtime = build_runtime(sqlite_settings)

    async def database_down() -> dict[str, str]:
        return {"database": "unavailable: OperationalError", "redis": "ok"}

    monkeypatch.setattr(runtime, "readiness", database_down)
    async with AsyncTestClient(app=create_app(runtime=runtime)) as test_client:
        yield test_client


async def test_readiness_answers_503_naming_the_failed_check(unready_client: Client) -> None:
    response = await unready_client.get("/health/ready")

    body = assert_problem(response, 503, "/problems/service-unavailable")
    assert "database" in body["detail"]
    assert "redis" not in body["detail"]
    assert body["checks"] == {"database": "unavailable: OperationalError", "redis": "ok"}
    assert (await unready_client.get("/health/live")).status_code == 200


async def test_metrics_expose_the_latency_histogram_labelled_by_route_template(
    client: Client, catalog: Catalog
) -> None:
    product = await catalog.product(await catalog.category())
    await client.get(f"/api/v1/products/{product['id']}")
    await client.get("/no/such/route")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-type"].count("charset") == 1
    text = response.text
    assert "# TYPE shop_http_request_duration_seconds histogram" in text
    assert re.search(
        r'shop_http_request_duration_seconds_count\{method="GET",'
        r'route="/api/v1/products/\{product_id\}",status="200"\} [1-9]',
        text,
    )
    assert 'route="unmatched",status="404"' in text
    assert product["id"] not in text
    assert "shop_http_requests_in_flight" in text


def live_requests_counted() -> float:
    labels = {"method": "GET", "route": "/health/live", "status": "200"}
    return REGISTRY.get_sample_value("shop_http_request_duration_seconds_count", labels) or 0.0


async def test_a_request_answered_just_before_the_app_stops_is_in_the_metrics(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(request_metrics, "FLUSH_SECONDS", 3600.0)  # only the stop writes it
    before = live_requests_counted()
    async with AsyncTestClient(app=create_app(sqlite_settings)) as test_client:
        await test_client.get("/health/live")
        assert live_requests_counted() == before  # counted, not yet written

    assert live_requests_counted() == before + 1


async def test_metrics_are_not_served_when_disabled(sqlite_settings: Settings) -> None:
    app = create_app(sqlite_settings.with_overrides(metrics_enabled=False))
    async with AsyncTestClient(app=app) as test_client:
        response = await test_client.get("/metrics")

    assert_problem(response, 404)


async def test_the_openapi_document_lists_every_catalog_operation(embedded_client: Client) -> None:
    document = (await embedded_client.get("/schema/openapi.json")).json()

    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "shop"
    assert document["info"]["description"]
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations >= CATALOG_OPERATIONS
    assert {"/health/live", "/health/ready", "/metrics"} <= set(document["paths"])
    assert {tag["name"] for tag in document["tags"]} >= {"categories", "products"}


async def test_every_operation_has_a_summary_a_tag_and_problem_shaped_errors(
    embedded_client: Client,
) -> None:
    document = (await embedded_client.get("/schema/openapi.json")).json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
            assert "500" in errors, where
            for status, response in errors.items():
                assert list(response["content"]) == [PROBLEM_JSON], f"{where} {status}"


async def test_request_bodies_are_documented_with_their_constraints(
    embedded_client: Client,
) -> None:
    document = (await embedded_client.get("/schema/openapi.json")).json()

    create = document["paths"]["/api/v1/products"]["post"]["requestBody"]["content"]
    assert create["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateProductRequest"
    }
    fields = document["components"]["schemas"]["CreateProductRequest"]["properties"]
    assert fields["price"]["pattern"] == PRICE_PATTERN
    assert (fields["stock"]["minimum"], fields["stock"]["maximum"]) == (0, 1_000_000_000)


async def test_the_openapi_document_never_mentions_internal_versions(
    embedded_client: Client,
) -> None:
    text = (await embedded_client.get("/schema/openapi.json")).text

    assert "product_version" not in text
    assert "stock_version" not in text


async def test_swagger_ui_references_no_external_host(embedded_client: Client) -> None:
    response = await embedded_client.get("/schema/swagger")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", response.text)
    for asset in SWAGGER_ASSETS:
        assert f"/static/swagger/{asset}" in response.text


@pytest.mark.parametrize("asset", SWAGGER_ASSETS)
async def test_swagger_ui_assets_are_served_by_the_app(
    embedded_client: Client, asset: str
) -> None:
    response = await embedded_client.get(f"/static/swagger/{asset}")

    assert response.status_code == 200
    assert response.content == (SWAGGER_ASSETS_DIR / asset).read_bytes()


async def test_a_missing_static_asset_answers_404_problem(embedded_client: Client) -> None:
    response = await embedded_client.get(f"/static/swagger/{uuid.uuid4().hex}.js")

    assert_problem(response, 404)
