"""Tracing with OpenTelemetry: one order is one trace, from the HTTP request to its events.

The runtime's tracer provider is replaced by one exporting to the SDK's
in-memory exporter; everything else is the composition root's own wiring
(the official ASGI, SQLAlchemy and redis instrumentations, the bus's command
spans, the relay's publish spans).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.infrastructure.observability.tracing import build_tracer_provider
from shop.settings import Settings
from tests.e2e.shop_client import ShopClient, serving_in_loop, with_accounts

WAIT_SECONDS = 10.0
SQL_TEXT_ATTRIBUTES = {"db.statement", "db.query.text"}
"""Where the SQLAlchemy instrumentation puts the statement (old and new semantic conventions)."""


def traced_runtime(settings: Settings, provider: TracerProvider) -> ShopRuntime:
    container = Container(settings=settings.with_overrides(otel_exporter="console"))
    container.tracer_provider.override(providers.Object(provider))
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    container.password_hasher.override(providers.Object(cheap))
    return ShopRuntime(container)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def in_trace(spans: Sequence[ReadableSpan], trace_id: int) -> list[ReadableSpan]:
    return [span for span in spans if span.context is not None
            and span.context.trace_id == trace_id]


def named(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert found, f"no span {name!r} among {sorted({span.name for span in spans})}"
    return found[0]


async def spans_until(exporter: InMemorySpanExporter, name_prefix: str) -> list[ReadableSpan]:
    """The relay publishes just after the commit, in its own task."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        spans = list(exporter.get_finished_spans())
        if any(span.name.startswith(name_prefix) for span in spans) or \
                asyncio.get_running_loop().time() > deadline:
            return spans
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("profile", ["sqlite", pytest.param(
    "postgres_redis", marks=[pytest.mark.postgres, pytest.mark.redis])])
async def test_one_order_is_one_trace_from_the_request_to_its_sql_and_published_events(
    profile: str, request: pytest.FixtureRequest, exporter: InMemorySpanExporter,
    provider: TracerProvider, capsys: pytest.CaptureFixture[str],
) -> None:
    settings: Settings = with_accounts(request.getfixturevalue(f"{profile}_settings"))
    runtime = traced_runtime(settings.with_overrides(log_level="INFO"), provider)
    async with serving_in_loop(runtime) as client:
        shop = ShopClient(client)
        customer = await shop.customer()
        product = await shop.product(stock=5)
        exporter.clear()
        capsys.readouterr()

        order = await shop.paid_order(customer, (product, 1))
        spans = await spans_until(exporter, "publish OrderPlaced")
        if profile == "sqlite":  # the embedded profile runs the consumers in the API process
            spans = await spans_until(exporter, "consume OrderPlaced")
    output = capsys.readouterr().out

    http = named(spans, "POST /api/v1/orders")
    assert http.kind is SpanKind.SERVER
    assert http.attributes is not None and http.attributes["http.route"] == "/api/v1/orders"
    assert http.context is not None
    trace = in_trace(spans, http.context.trace_id)
    command = named(trace, "command PlaceOrder")
    assert command.parent is not None and command.parent.span_id == http.context.span_id
    sql = [span for span in trace if span.kind is SpanKind.CLIENT and span.attributes
           and SQL_TEXT_ATTRIBUTES & set(span.attributes)]
    assert any(span.parent is not None and command.context is not None
               and span.parent.span_id == command.context.span_id for span in sql)
    published = [span for span in trace if span.kind is SpanKind.PRODUCER]
    assert {span.name for span in published} >= {"publish OrderPlaced"}
    if profile == "sqlite":
        consumed = [span for span in trace if span.kind is SpanKind.CONSUMER]
        assert "consume OrderPlaced" in {span.name for span in consumed}
    access = [json.loads(line) for line in output.splitlines()
              if line.startswith("{") and '"event":"request"' in line]
    (order_line,) = [line for line in access if line["route"] == "/api/v1/orders"]
    assert order_line["trace_id"] == format(http.context.trace_id, "032x")
    assert order["status"] == "Paid"


def test_tracing_is_off_unless_an_exporter_is_chosen() -> None:
    assert build_tracer_provider(Settings()) is None
    assert build_tracer_provider(Settings(otel_exporter="console")) is not None
    with pytest.raises(ValueError, match="SHOP_OTEL_EXPORTER"):
        build_tracer_provider(Settings(otel_exporter="zipkin"))
