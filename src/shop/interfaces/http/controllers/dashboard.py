"""`GET /dashboard`: the analytics dashboard page, and its assets served from the package.

The page is static HTML and JavaScript with Chart.js vendored next to it
(`static/dashboard/`), so it needs no build step and no internet access. It
signs in through the API like any client and reads `/api/v1/analytics/summary`
and the websocket feeds; the page itself holds no data and needs no token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from litestar import MediaType, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.static_files import create_static_files_router

from shop.interfaces.http.problems import error_responses

DASHBOARD_ASSETS_PATH: Final = "/static/dashboard"
DASHBOARD_DIR: Final = Path(__file__).parent.parent / "static" / "dashboard"
ASSET_MAX_AGE_SECONDS: Final = 3600


@get("/dashboard", media_type=MediaType.HTML, tags=["analytics"], summary="The dashboard page",
     description="An HTML page for a browser: sign in as an admin to see the sales summary, "
     "updated live from the websocket feeds.",
     cache_control=CacheControlHeader(no_cache=True), responses=error_responses())
async def dashboard_page() -> File:
    return File(DASHBOARD_DIR / "index.html", content_disposition_type="inline",
                media_type=MediaType.HTML)


def dashboard_assets_router() -> Router:
    """The page's script, style sheet and the vendored Chart.js."""
    return create_static_files_router(
        path=DASHBOARD_ASSETS_PATH,
        directories=[DASHBOARD_DIR],
        name="dashboard-assets",
        cache_control=CacheControlHeader(max_age=ASSET_MAX_AGE_SECONDS, public=True),
        include_in_schema=False,
    )
