"""Distributed tracing with OpenTelemetry: off by default, one provider per runtime when on.

`SHOP_OTEL_EXPORTER` picks where spans go: `otlp` (OTLP over HTTP; the SDK
reads the standard `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`
and `OTEL_SERVICE_NAME` itself) or `console` (one JSON span per line on
stdout, for local debugging). With `none`, nothing here runs: no provider,
no instrumentation, no middleware, so tracing off costs nothing.

The official instrumentations are applied to the shop's own objects (its
engine, its Redis client, its ASGI app), never patched process-wide, so two
runtimes in one process (tests build many) each trace to their own provider.
The trace of a request travels with the events it caused: its `traceparent`
(W3C Trace Context) is stored in the outbox row, copied into the stream entry,
and the relay and the event consumers continue that trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware, get_host_port_url_tuple
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.http import ExcludeList, get_excluded_urls
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.typing import EventDict

from shop.settings import Settings

EXPORTERS: Final = ("none", "otlp", "console")
DEFAULT_SERVICE_NAME: Final = "shop"
TRACER_NAME: Final = "shop"
TRACEPARENT: Final = "traceparent"
"""The W3C Trace Context field, in the outbox row and the stream entry."""

_propagator = TraceContextTextMapPropagator()


def build_tracer_provider(settings: Settings) -> TracerProvider | None:
    """The runtime's provider for `SHOP_OTEL_EXPORTER`, or None when tracing is off."""
    exporter_name = settings.otel_exporter.strip().lower()
    if exporter_name not in EXPORTERS:
        raise ValueError(f"SHOP_OTEL_EXPORTER must be one of {', '.join(EXPORTERS)}, "
                         f"not {settings.otel_exporter!r}")
    if exporter_name == "none":
        return None
    provider = TracerProvider(resource=_resource())
    if exporter_name == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
    return provider


def _otlp_exporter() -> SpanExporter:
    """OTLP over HTTP/protobuf (port 4318 by default): no gRPC stack to install."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _resource() -> Resource:
    """`OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` when set, else service.name `shop`."""
    detected = Resource.create()
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return detected


def trace_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A span per SQL statement, by the official SQLAlchemy instrumentation, on this engine."""
    meter = NoOpMeterProvider().get_meter(TRACER_NAME)
    EngineTracer(
        provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"),
        engine.sync_engine,
        meter.create_up_down_counter("db.client.connections.usage"),
    )  # type: ignore[no-untyped-call]


def trace_redis(client: Redis, provider: TracerProvider) -> None:
    """A span per Redis command, by the official redis instrumentation, on this client."""
    RedisInstrumentor.instrument_client(client, tracer_provider=provider)


def traced_asgi(app: Any, provider: TracerProvider) -> Any:
    """The official ASGI middleware around `app`: a SERVER span per request, continuing the
    caller's `traceparent`. Named by method only here; the request context names it by
    route template once routing is done (a raw path would give every product its own name).

    URLs matched by `OTEL_PYTHON_ASGI_EXCLUDED_URLS` (or `OTEL_PYTHON_EXCLUDED_URLS`),
    comma-separated regular expressions searched in the full URL as OpenTelemetry's
    web instrumentations read them, are served untraced, with the SQL and Redis
    spans they cause suppressed too: a load balancer's probes would otherwise
    leave a trace, or orphan SQL spans, every few seconds.
    """
    traced = OpenTelemetryMiddleware(
        app, tracer_provider=provider, exclude_spans=["receive", "send"],
        default_span_details=lambda scope: (str(scope.get("method") or "WS"), {}),
    )
    return UntracedUrls(traced, untraced=app, excluded=get_excluded_urls("ASGI"))


class UntracedUrls:
    """Serves excluded URLs around the tracing middleware, every span they cause suppressed."""

    __slots__ = ("_excluded", "_traced", "_untraced")

    def __init__(self, traced: Any, *, untraced: Any, excluded: ExcludeList) -> None:
        self._traced = traced
        self._untraced = untraced
        self._excluded = excluded

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and self._excluded.url_disabled(
                get_host_port_url_tuple(scope)[2]):  # type: ignore[no-untyped-call]
            with untraced():
                await self._untraced(scope, receive, send)
            return
        await self._traced(scope, receive, send)


def name_server_span(method: str, route: str) -> None:
    """Give the active HTTP span its route template (`GET /api/v1/products/{product_id}`)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)


def shop_tracer(provider: TracerProvider) -> Tracer:
    return provider.get_tracer(TRACER_NAME)


class SpanTracer:
    """The message bus's tracer port on OpenTelemetry: one internal span per use case."""

    def __init__(self, provider: TracerProvider) -> None:
        self._tracer = shop_tracer(provider)

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        with self._tracer.start_as_current_span(name):
            yield


def current_traceparent() -> str | None:
    """The active span's `traceparent`, or None when no trace is being recorded."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


@contextmanager
def continued_span(tracer: Tracer, name: str, traceparent: str | None, *,
                   kind: SpanKind, attributes: Mapping[str, str] | None = None) -> Iterator[Span]:
    """A span in the trace `traceparent` names (a new trace without one), made current."""
    token = otel_context.attach(_parent(traceparent))
    try:
        with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span
    finally:
        otel_context.detach(token)


def add_trace_ids(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """structlog processor: `trace_id` and `span_id` of the active span, as backends print them."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event["trace_id"] = format(span_context.trace_id, "032x")
        event["span_id"] = format(span_context.span_id, "016x")
    return event


@contextmanager
def producer_spans(tracer: Tracer, events: Sequence[tuple[str, str | None]]) -> Iterator[None]:
    """One PRODUCER span per `(event type, traceparent)` around publishing them together.

    The relay publishes a batch in one round trip; each event's span joins the
    trace of the request that wrote it, so a trace shows when its events left.
    """
    spans = [
        tracer.start_span(f"publish {event_type}", context=_parent(traceparent),
                          kind=SpanKind.PRODUCER)
        for event_type, traceparent in events
    ]
    try:
        yield
    except BaseException as error:
        for span in spans:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        raise
    finally:
        for span in spans:
            span.end()


def _parent(traceparent: str | None) -> otel_context.Context:
    """A fresh context holding only that trace (the propagator starts from an empty one):
    nothing of the caller's, such as a background loop's suppressed instrumentation,
    carries into the event's handling."""
    return _propagator.extract({TRACEPARENT: traceparent} if traceparent else {})


@contextmanager
def untraced() -> Iterator[None]:
    """What runs inside, and the tasks started inside, leave no SQL or Redis spans.

    For work that is no one's request: an excluded URL (a load balancer's probe),
    and the background services, whose polls of the database and Redis every
    second or so (the outbox relay, the consumers' reads, the near cache's
    listener, the vector index's catch-up) would otherwise each be a trace of its
    own, a flood of one-span traces with nothing to follow. An event's handling
    still traces: its CONSUMER span starts from a fresh context (`continued_span`).
    """
    with suppress_instrumentation():
        yield
