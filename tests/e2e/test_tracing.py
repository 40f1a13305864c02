"""Tracing with OpenTelemetry: one order is one trace, from the HTTP request to its events.

The runtime's tracer provider is replaced by one exporting to the SDK's
in-memory exporter; everything else is the composition root's own wiring
(the official ASGI, SQLAlchemy and redis instrumentations, the bus's command
spans, the relay's publish spans).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import cast

import pytest
import sqlalchemy as sa
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.infrastructure.db.schema import outbox
from shop.infrastructure.events.received import RawEvent
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


async def spans_until(exporter: InMemorySpanExporter, name_prefix: str,
                      wait_seconds: float = WAIT_SECONDS) -> list[ReadableSpan]:
    """The relay publishes just after the commit, in its own task."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        spans = list(exporter.get_finished_spans())
        if any(span.name.startswith(name_prefix) for span in spans) or \
                asyncio.get_running_loop().time() > deadline:
            return spans
        await asyncio.sleep(0.02)


async def quiet(exporter: InMemorySpanExporter, still_seconds: float = 0.3) -> None:
    """Until no span has ended for `still_seconds` (at most WAIT_SECONDS)."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    seen = -1
    while asyncio.get_running_loop().time() < deadline:
        count = len(exporter.get_finished_spans())
        if count == seen:
            return
        seen = count
        await asyncio.sleep(still_seconds)


def traceparent_ids(traceparent: str) -> tuple[int, int]:
    """(trace id, parent span id) of a W3C `traceparent` (`00-<trace>-<span>-<flags>`)."""
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert version == "00", traceparent
    return int(trace_id, 16), int(span_id, 16)


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


@pytest.mark.postgres
@pytest.mark.redis
async def test_on_redis_the_trace_travels_via_outbox_row_and_stream_entry_to_the_worker(
    postgres_redis_settings: Settings, exporter: InMemorySpanExporter, provider: TracerProvider,
) -> None:
    """The API process stores the request's trace with the outbox row, the relay copies it
    into the stream entry, and a separate worker runtime (what `shop worker` runs: the
    StreamConsumerRuntime), tracing to a provider of its own, continues that trace."""
    settings = with_accounts(postgres_redis_settings).with_overrides(
        consumer_block_seconds=0.2, ai_enabled=False)
    worker_exporter = InMemorySpanExporter()
    worker_provider = TracerProvider()
    worker_provider.add_span_processor(SimpleSpanProcessor(worker_exporter))
    api = traced_runtime(settings, provider)
    worker = traced_runtime(settings, worker_provider)
    async with serving_in_loop(api) as client:
        await worker.start()
        try:
            await worker.start_consuming()
            shop = ShopClient(client)
            customer = await shop.customer()
            product = await shop.product(stock=5)
            exporter.clear()
            worker_exporter.clear()

            order = await shop.paid_order(customer, (product, 1))
            worker_spans = await spans_until(worker_exporter, "consume OrderPlaced",
                                             wait_seconds=60.0)
            api_spans = list(exporter.get_finished_spans())
            async with api.container.engine().connect() as conn:
                row = (await conn.execute(sa.select(outbox.c.event_id, outbox.c.traceparent)
                                          .where(outbox.c.event_type == "OrderPlaced",
                                                 outbox.c.aggregate_id == uuid.UUID(order["id"]))
                                          )).one()
            assert api.redis is not None
            entries = [RawEvent.from_stream(fields) for _, fields in cast(
                list[tuple[bytes, dict[bytes, bytes]]],
                await api.redis.xrange(settings.events_stream))]
        finally:
            await worker.stop()

    http = named(api_spans, "POST /api/v1/orders")
    assert http.context is not None
    trace_id = http.context.trace_id
    command = named(in_trace(api_spans, trace_id), "command PlaceOrder")
    assert command.context is not None

    # 1. The outbox row holds the trace of the command that wrote the event.
    assert row.traceparent, "the outbox row has no traceparent"
    assert traceparent_ids(row.traceparent) == (trace_id, command.context.span_id)

    # 2. The stream entry carries the same traceparent beside the contract's fields.
    [entry] = [entry for entry in entries if entry.id == str(row.event_id)]
    assert entry.type == "OrderPlaced"
    assert entry.traceparent == row.traceparent

    # 3. The worker's consumer span continues that trace, parented by the command span.
    consumed = [span for span in worker_spans
                if span.name == "consume OrderPlaced" and span.kind is SpanKind.CONSUMER]
    assert consumed, f"the worker recorded {sorted({span.name for span in worker_spans})}"
    for span in consumed:
        assert span.context is not None and span.context.trace_id == trace_id
        assert span.parent is not None and span.parent.span_id == command.context.span_id
        assert span.parent.is_remote  # it came through Redis, not the worker's own context
    assert not any(span.name.startswith("consume ") for span in api_spans), \
        "with Redis the API process must not consume (the worker does)"


def test_tracing_is_off_unless_an_exporter_is_chosen() -> None:
    assert build_tracer_provider(Settings()) is None
    assert build_tracer_provider(Settings(otel_exporter="console")) is not None
    with pytest.raises(ValueError, match="SHOP_OTEL_EXPORTER"):
        build_tracer_provider(Settings(otel_exporter="zipkin"))


async def test_urls_excluded_by_otel_python_excluded_urls_leave_no_span_not_even_their_sql(
    sqlite_settings: Settings, exporter: InMemorySpanExporter, provider: TracerProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A load balancer polls `/health/ready` every few seconds; its `SELECT 1` must not
    become a trace of its own once the probe's URL is excluded."""
    monkeypatch.setenv("OTEL_PYTHON_EXCLUDED_URLS", "/health/,/metrics")
    runtime = traced_runtime(with_accounts(sqlite_settings), provider)
    async with serving_in_loop(runtime) as client:
        exporter.clear()
        ready = await client.get("/health/ready")
        probe_spans = list(exporter.get_finished_spans())
        listed = await client.get("/api/v1/products")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    # The embedded profile's relay and consumers poll the database meanwhile, in spans of
    # their own; the probe's part would be its SERVER span and its `SELECT 1`.
    from_probe = [span for span in probe_spans if span.kind is SpanKind.SERVER
                  or any((span.attributes or {}).get(key) == "SELECT 1"
                         for key in SQL_TEXT_ATTRIBUTES)]
    assert from_probe == [], sorted(span.name for span in from_probe)
    assert listed.status_code == 200
    page = named(list(exporter.get_finished_spans()), "GET /api/v1/products")
    assert page.kind is SpanKind.SERVER


def test_the_sampler_named_by_otel_traces_sampler_decides_which_requests_are_recorded(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tracing every request is costly (bench/README.md); the standard variables sample."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    provider = build_tracer_provider(sqlite_settings.with_overrides(otel_exporter="console"))
    assert provider is not None
    try:
        description = provider.sampler.get_description()
    finally:
        provider.shutdown()
    assert description == "ParentBased{root:TraceIdRatioBased{0.25},remoteParentSampled:" \
        "AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:" \
        "AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"


async def test_an_idle_shop_leaves_no_traces_however_often_its_background_loops_poll(
    sqlite_settings: Settings, exporter: InMemorySpanExporter, provider: TracerProvider,
) -> None:
    """The relay, the consumers and the vector index poll the database every `poll` seconds;
    those polls are no one's request, so they leave no trace. What an event's consumer
    does is still traced, inside its CONSUMER span."""
    settings = with_accounts(sqlite_settings).with_overrides(consumer_poll_seconds=0.05)
    runtime = traced_runtime(settings, provider)
    async with serving_in_loop(runtime) as client:
        await quiet(exporter)  # what the start-up wrote (the admin) is handled by now
        exporter.clear()
        await asyncio.sleep(0.5)  # ~10 polls of each consumer and of the relay
        idle = list(exporter.get_finished_spans())

        shop = ShopClient(client)
        customer = await shop.customer()
        product = await shop.product(stock=5)
        exporter.clear()
        await shop.paid_order(customer, (product, 1))
        spans = await spans_until(exporter, "consume OrderPlaced")
    assert idle == [], sorted(span.name for span in idle)
    consumed = {span.context.span_id for span in spans
                if span.kind is SpanKind.CONSUMER and span.context is not None}
    handlers_sql = [span for span in spans if span.kind is SpanKind.CLIENT
                    and span.parent is not None and span.parent.span_id in consumed]
    assert handlers_sql, "the consumers' own statements are no longer traced"
