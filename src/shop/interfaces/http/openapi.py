"""The OpenAPI document and a Swagger UI that works with no internet access.

Swagger UI's assets (swagger-ui-dist 5.x, which understands OpenAPI 3.1) ship
inside the package under `static/swagger/` and are served by the app itself;
the render plugin is pointed at those local URLs, favicon included (Litestar's
defaults are CDN URLs).
"""

from __future__ import annotations

from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import Final

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from shop.interfaces.http.auth import BEARER_SCHEME, admin_only, authenticated
from shop.interfaces.http.edge import UNSUPPORTED_MEDIA_TYPE
from shop.interfaces.http.problems import error_responses

SCHEMA_PATH: Final = "/schema"
SWAGGER_ASSETS_PATH: Final = "/static/swagger"
SWAGGER_ASSETS_DIR: Final = Path(__file__).parent / "static" / "swagger"
ASSET_MAX_AGE_SECONDS: Final = 24 * 3600

TAGS: Final = (
    Tag(name="categories", description="The category tree products are filed under."),
    Tag(name="products", description="What the shop sells: price, description, stock on hand."),
    Tag(name="auth", description="Registration, login and token rotation."),
    Tag(name="customers", description="Profiles; the customer list is for admins."),
    Tag(name="inventory", description="Stock levels; changes are admin-only."),
    Tag(name="orders", description="Placing, paying, shipping and cancelling orders."),
    Tag(name="analytics", description="Sales figures from the analytics projections; admins."),
    Tag(name="search and AI", description="Keyword, semantic and hybrid search, recommendations, "
        "category suggestions and stock-out forecasts, on a local embedding model."),
    Tag(name="operations", description="Liveness, readiness and Prometheus metrics."),
)

DESCRIPTION: Final = """\
The shop's HTTP API: catalog, customers and authentication, inventory, orders
and payments.

Authentication: `POST /api/v1/auth/token` returns an access token; send it as
`Authorization: Bearer <token>`. Routes marked with the lock need it; admin
routes answer 403 to customers. Reads of the catalog and inventory are open.

Conventions: JSON bodies with snake_case fields; ids are UUID strings;
timestamps ISO 8601 in UTC; money is a decimal string with exactly two
fraction digits. Lists answer `{items, total, limit, offset}` and take
`limit` (1..100, default 20) and `offset`. Unknown or read-only body fields
are refused. Errors are RFC 9457 `application/problem+json` objects
(`type`, `title`, `status`, `detail`, plus `errors` on validation failures).
Every response carries `X-Request-ID`, echoing the client's when it sent one.

Request bodies must be sent as `Content-Type: application/json` (or an
`application/*+json` type), UTF-8: anything else answers 415. Text with a NUL
character or a lone surrogate is refused (400) wherever it appears. A 503
means the database or Redis is unavailable: retry after `Retry-After`.
"""


def openapi_config() -> OpenAPIConfig:
    """The document at `/schema/openapi.json` and Swagger UI at `/schema/swagger`."""
    return OpenAPIConfig(
        title="shop",
        version=_package_version(),
        description=DESCRIPTION,
        tags=list(TAGS),
        path=SCHEMA_PATH,
        render_plugins=[_swagger_ui()],
        components=Components(security_schemes={
            BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                          description="The access token from /api/v1/auth/token."),
        }),
    )


def swagger_assets_router() -> Router:
    """Serves Swagger UI's JavaScript, CSS and favicon from the package, outside the schema."""
    return create_static_files_router(
        path=SWAGGER_ASSETS_PATH,
        directories=[SWAGGER_ASSETS_DIR],
        name="swagger-assets",
        cache_control=CacheControlHeader(max_age=ASSET_MAX_AGE_SECONDS, public=True),
        include_in_schema=False,
    )


def _swagger_ui() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        js_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=(
            f'<link rel="icon" type="image/png" href="{SWAGGER_ASSETS_PATH}/favicon-32x32.png">'
        ),
    )


def _package_version() -> str:
    try:
        return metadata.version("shop")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


UNAUTHENTICATED_DOC: Final = (
    "No valid access token (missing, malformed, expired or forged), or its account was "
    "disabled."
)
FORBIDDEN_DOC: Final = "The token is valid, but its role may not do this (admins only)."
NOT_FOUND_DOC: Final = "Nothing lives at this id."
TOO_LARGE_DOC: Final = "The body is larger than the server accepts."
UNAVAILABLE_DOC: Final = (
    "A dependency (the database or Redis) is unavailable or overloaded; retry shortly "
    "(see `Retry-After`)."
)
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
NO_DEPENDENCIES: Final = frozenset({"/health/live", "/metrics"})
"""Routes that answer without the database or Redis, so never with a 503."""


def inferred_failures(route_path: str, handler: HTTPRouteHandler) -> dict[int, str]:
    """The failures a route can answer because of what it is, whatever its own code does.

    Its guards (401, and 403 for admins only), its path ids (404), its method (a
    body: 413 too large, 415 not JSON, the app-level middleware of `edge`) and its
    dependencies (503). The route's own `responses` add the rest (409, 422, ...).
    """
    guards = {guard for layer in handler.ownership_layers for guard in (layer.guards or [])}
    failures: dict[int, str] = {}
    if authenticated in guards or admin_only in guards:
        failures[HTTPStatus.UNAUTHORIZED] = UNAUTHENTICATED_DOC
    if admin_only in guards:
        failures[HTTPStatus.FORBIDDEN] = FORBIDDEN_DOC
    if ":uuid}" in route_path:
        failures[HTTPStatus.NOT_FOUND] = NOT_FOUND_DOC
    if handler.http_methods & BODY_METHODS:
        failures[HTTPStatus.REQUEST_ENTITY_TOO_LARGE] = TOO_LARGE_DOC
        failures[HTTPStatus.UNSUPPORTED_MEDIA_TYPE] = UNSUPPORTED_MEDIA_TYPE
    if route_path not in NO_DEPENDENCIES:
        failures[HTTPStatus.SERVICE_UNAVAILABLE] = UNAVAILABLE_DOC
    return failures


def document_every_failure(app: Litestar) -> None:
    """Add each route's inferred failures to its OpenAPI responses (its own descriptions win).

    Runs once on the built app, over every route whatever context added it, so a
    new route is documented truthfully without anyone listing its statuses.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            documented = dict(handler.responses or {})
            for status, spec in error_responses(inferred_failures(route.path, handler)).items():
                documented.setdefault(status, spec)
            handler.responses = documented
