"""The OpenAPI document and a Swagger UI that works with no internet access.

Swagger UI's assets (swagger-ui-dist 5.x, which understands OpenAPI 3.1) ship
inside the package under `static/swagger/` and are served by the app itself;
the render plugin is pointed at those local URLs, favicon included (Litestar's
defaults are CDN URLs).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Final

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.static_files import create_static_files_router

from shop.interfaces.http.auth import BEARER_SCHEME

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
