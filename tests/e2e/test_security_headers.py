"""Security headers and CORS, as a browser and a shared cache see them."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import serving
from tests.e2e.shop_client import ShopClient, cheap_runtime, with_accounts

Client = AsyncTestClient[Litestar]
STOREFRONT = "https://storefront.example"


async def client_for(settings: Settings) -> AsyncIterator[Client]:
    async with serving(create_app(runtime=cheap_runtime(with_accounts(settings)))) as client:
        yield client


@pytest.fixture
async def client(sqlite_settings: Settings) -> AsyncIterator[Client]:
    async for test_client in client_for(sqlite_settings):
        yield test_client


@pytest.fixture
async def cors_client(sqlite_settings: Settings) -> AsyncIterator[Client]:
    settings = sqlite_settings.with_overrides(cors_origins=f"{STOREFRONT}, https://other.example")
    async for test_client in client_for(settings):
        yield test_client


@pytest.mark.parametrize("path", ["/api/v1/products", "/health/live", "/no/such/path"])
async def test_every_response_says_nosniff_and_no_referrer(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-request-id"]


async def test_token_and_authenticated_responses_are_never_stored(client: Client) -> None:
    shop = ShopClient(client)
    ann = await shop.customer("ann")
    token = await client.post("/api/v1/auth/token",
                              json={"email": ann.email, "password": "customer-password-1"})
    me = await client.get("/api/v1/customers/me", headers=ann.headers)
    anonymous = await client.get("/api/v1/products")

    assert token.headers["cache-control"] == "no-store"
    assert me.headers["cache-control"] == "no-store"
    assert "no-store" not in anonymous.headers.get("cache-control", "")


async def test_the_swagger_page_allows_only_its_own_scripts(client: Client) -> None:
    page = await client.get("/schema/swagger")
    policy = page.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)

    assert script_src and "'unsafe-inline'" not in script_src.group(1)
    assert "frame-ancestors 'none'" in policy
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.text, re.DOTALL)
    assert inline, "Swagger UI starts from an inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src.group(1)


async def test_no_origin_is_allowed_by_default(client: Client) -> None:
    response = await client.get("/api/v1/products", headers={"Origin": STOREFRONT})
    assert "access-control-allow-origin" not in response.headers


async def test_a_configured_origin_gets_a_preflight_without_authentication(
    cors_client: Client,
) -> None:
    preflight = await cors_client.options("/api/v1/orders", headers={
        "Origin": STOREFRONT, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})

    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers["access-control-allow-origin"] == STOREFRONT
    assert "access-control-allow-credentials" not in preflight.headers
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")}


async def test_a_configured_origin_reads_answers_and_their_request_id(cors_client: Client) -> None:
    response = await cors_client.get("/api/v1/products", headers={"Origin": STOREFRONT})
    assert response.headers["access-control-allow-origin"] == STOREFRONT
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_an_unlisted_origin_is_not_allowed(cors_client: Client) -> None:
    response = await cors_client.get("/api/v1/products",
                                     headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_any_origin_never_comes_with_credentials(sqlite_settings: Settings) -> None:
    async for client in client_for(sqlite_settings.with_overrides(cors_origins="*")):
        response = await client.get("/api/v1/products", headers={"Origin": STOREFRONT})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


async def test_every_html_page_of_the_app_carries_a_content_security_policy(
    client: Client,
) -> None:
    """Walks the app's GET routes without path parameters (Swagger, the dashboard, ...)."""
    app: Litestar = client.app
    pages = []
    for route in app.routes:
        if "{" in route.path or not isinstance(route, HTTPRoute):
            continue
        if any("GET" in handler.http_methods for handler in route.route_handlers):
            response = await client.get(route.path)
            if response.headers.get("content-type", "").startswith("text/html"):
                pages.append(route.path)
                assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "/schema/swagger" in pages
