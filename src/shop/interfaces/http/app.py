"""The one place the HTTP app is built: routes, dependencies, errors, docs, lifespan, middleware.

`create_app()` with no argument is what `shop serve` (and any ASGI server's
factory mode) runs: settings from the environment, a runtime built from them.
Tests and library users pass `Settings(...)` or a runtime of their own.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from shop.bootstrap import ShopRuntime, build_runtime
from shop.infrastructure.observability.log_output import LOG_OUTPUT
from shop.infrastructure.observability.request_metrics import RequestMetrics
from shop.infrastructure.observability.tracing import traced_asgi
from shop.interfaces.http.auth import provide_principal
from shop.interfaces.http.controllers import (
    AnalyticsController,
    AuthController,
    CategoryController,
    CategorySuggestionController,
    CustomerController,
    CustomerRecommendationController,
    HealthController,
    InventoryController,
    InventoryForecastController,
    MetricsController,
    NotificationController,
    OrderController,
    ProductController,
    ProductRecommendationController,
    SearchController,
)
from shop.interfaces.http.controllers.dashboard import dashboard_assets_router, dashboard_page
from shop.interfaces.http.dependencies import provide_listing
from shop.interfaces.http.edge import well_formed_requests
from shop.interfaces.http.middleware import RequestContextMiddleware
from shop.interfaces.http.openapi import (
    document_every_failure,
    openapi_config,
    swagger_assets_router,
)
from shop.interfaces.http.problems import EXCEPTION_HANDLERS
from shop.interfaces.http.realtime.plugin import realtime_feeds
from shop.interfaces.http.security_headers import SecurityHeadersMiddleware, cors_config
from shop.settings import Settings


def create_app(settings: Settings | None = None, *, runtime: ShopRuntime | None = None) -> Litestar:
    """The shop's ASGI app; its lifespan starts and stops `runtime` (built from settings if absent).

    When a runtime is given, its own settings win over `settings`, so the app
    and the object graph never disagree about, say, whether metrics are on.
    Building the app only reads the runtime (which configured logging and
    wired the bus when it was built); it changes nothing in it.
    """
    if runtime is None:
        runtime = build_runtime(settings or Settings.from_env())
    settings = runtime.settings
    request_metrics = RequestMetrics()
    app = Litestar(
        route_handlers=_route_handlers(settings),
        middleware=[well_formed_requests],  # before every route's guards and body decoding
        dependencies=_dependencies(runtime),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[_running],
        # Channels: the websocket feeds' routes and broker; it attaches to the runtime's
        # notifier while it runs (starts after the runtime, stops before it).
        plugins=[realtime_feeds(runtime)],
        state=State({"runtime": runtime, "request_metrics": request_metrics}),
        openapi_config=openapi_config(),
        logging_config=None,  # the runtime configured logging; Litestar would add handlers
        return_dto=None,  # StrictJSON decodes request bodies only; responses encode as usual
        cors_config=cors_config(settings.cors_origin_list),
    )
    document_every_failure(app)
    app.asgi_handler = RequestContextMiddleware(
        SecurityHeadersMiddleware(app.asgi_handler), metrics=request_metrics,
        access_log=settings.access_log,
        traced=runtime.tracer_provider is not None)
    if runtime.tracer_provider is not None:
        # Outside the request context, so the access log line is written inside the span.
        app.asgi_handler = traced_asgi(app.asgi_handler, runtime.tracer_provider)
    return app


def _route_handlers(settings: Settings) -> list[ControllerRouterHandler]:
    handlers: list[ControllerRouterHandler] = [
        HealthController,
        CategoryController,
        ProductController,
        SearchController,
        CategorySuggestionController,
        ProductRecommendationController,
        CustomerRecommendationController,
        AuthController,
        CustomerController,
        InventoryController,
        InventoryForecastController,
        OrderController,
        AnalyticsController,
        dashboard_page,
        dashboard_assets_router(),
        NotificationController,
        swagger_assets_router(),
    ]
    if settings.metrics_enabled:
        handlers.append(MetricsController)
    return handlers


def _dependencies(runtime: ShopRuntime) -> dict[str, Provide]:
    """Plain closures, not dependency-injector providers, which Litestar cannot introspect."""
    return {
        "bus": Provide(lambda: runtime.bus, sync_to_thread=False),
        "runtime": Provide(lambda: runtime, sync_to_thread=False),
        "listing": Provide(provide_listing, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }


@asynccontextmanager
async def _running(app: Litestar) -> AsyncIterator[None]:
    """Run the runtime (migrations on the embedded default, the outbox relay) for the app's life."""
    runtime: ShopRuntime = app.state.runtime
    await runtime.start()
    _tune_garbage_collector()
    try:
        yield
    finally:
        request_metrics: RequestMetrics = app.state.request_metrics
        request_metrics.flush()  # the last requests' durations, before the process goes
        await runtime.stop()
        LOG_OUTPUT.flush()  # the last requests' access lines


GC_GENERATION0_THRESHOLD = 50_000


def _tune_garbage_collector() -> None:
    """Keep the cyclic collector out of the request path.

    Everything alive at start-up (modules, the app, the object graph) is moved
    out of the collector's sight, and young collections run every 50,000
    allocations instead of 700: with a thousand open websockets, full passes
    over their objects stalled whole fan-outs for ~200 ms.
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GENERATION0_THRESHOLD, gen1, gen2)
