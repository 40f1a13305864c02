"""`/metrics`: the Prometheus text exposition (registered only when metrics are enabled)."""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, get

from shop.infrastructure.observability.metrics import EXPOSITION_CONTENT_TYPE, exposition
from shop.infrastructure.observability.request_metrics import RequestMetrics
from shop.interfaces.http.dependencies import Runtime
from shop.interfaces.http.problems import error_responses

MEDIA_TYPE: Final = "; ".join(
    part.strip() for part in EXPOSITION_CONTENT_TYPE.split(";") if "charset" not in part
)
"""prometheus_client's content type minus its charset, which Litestar appends to `text/` types."""


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]

    @get(
        "/",
        summary="Prometheus metrics",
        description="Text exposition for a Prometheus scrape, e.g. "
        "`shop_http_request_duration_seconds` by method, route template and status. "
        "Under `shop serve --workers N` any worker answers with the sum over all workers "
        "(see docs/observability.md for every metric).",
        media_type=MEDIA_TYPE,
        responses=error_responses(),
    )
    async def metrics(self, runtime: Runtime, request: Request[Any, Any, Any]) -> Response[bytes]:
        request_metrics: RequestMetrics = request.app.state.request_metrics
        request_metrics.flush()  # this process's requests so far, the scrape itself included
        content = exposition(runtime.settings.metrics_dir)
        return Response(content=content, media_type=MEDIA_TYPE)
