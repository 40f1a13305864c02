"""The process's Prometheus metrics and their text exposition.

The metric objects live at module level in the default registry because
Prometheus refuses to register the same name twice: every app built in one
process (tests build many) shares them, which is also what a scrape expects.

Under `shop serve` every worker process writes its values to files in one
directory (prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`),
and `/metrics` answered by any worker adds them up: counters and histograms are
summed, gauges follow their `multiprocess_mode` (live connections summed over
the live workers, memory kept per worker with a `pid` label).
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

HTTP_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)
"""Seconds; starts at 1 ms because a cached product read answers well under 5 ms."""

HTTP_REQUEST_DURATION = Histogram(
    "shop_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ("method", "route", "status"),
    buckets=HTTP_LATENCY_BUCKETS,
)

HTTP_REQUESTS_IN_FLIGHT = Gauge(
    "shop_http_requests_in_flight",
    "HTTP requests being served right now (summed over the live workers).",
    multiprocess_mode="livesum",
)


WS_CONNECTIONS = Gauge(
    "shop_ws_connections",
    "Websocket connections open right now, by feed (inventory, orders); summed over workers.",
    ("feed",),
    multiprocess_mode="livesum",
)

WS_SUBSCRIPTIONS = Gauge(
    "shop_ws_subscriptions",
    "Channels the open websocket connections follow right now, by feed (one per product "
    "on the inventory feed); summed over workers.",
    ("feed",),
    multiprocess_mode="livesum",
)

WS_MESSAGES_SENT = Counter(
    "shop_ws_messages_sent_total",
    "Websocket messages sent to clients, by feed and message type.",
    ("feed", "type"),
)

WS_MESSAGES_DROPPED = Counter(
    "shop_ws_messages_dropped_total",
    "Feed messages that reached no client: the client was being dropped (slow_client, "
    "heartbeat_timeout), the broker refused them (publish_failed) or no feed was running.",
    ("feed", "reason"),
)

WS_CLIENTS_DROPPED = Counter(
    "shop_ws_clients_dropped_total",
    "Websocket clients the server closed on its own: send queue full (slow_client) "
    "or no answer to pings (heartbeat_timeout).",
    ("feed", "reason"),
)

FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds, from half a millisecond: in-process hand-offs and local round trips."""

WS_DELIVERY_SECONDS = Histogram(
    "shop_ws_delivery_seconds",
    "Time from a change's commit (the bus publishing its event) to its websocket "
    "message leaving this process, by feed; across processes on one host.",
    ("feed",),
    buckets=FAST_BUCKETS,
)

REALTIME_PUBLISH_DURATION = Histogram(
    "shop_realtime_publish_duration_seconds",
    "Time the feeds' broker (Redis pub/sub, or memory) took to accept one published "
    "message, by feed.",
    ("feed",),
    buckets=FAST_BUCKETS,
)


DB_QUERY_DURATION = Histogram(
    "shop_db_query_duration_seconds",
    "Time of each SQL statement on the database, by statement kind (select, insert, ...) "
    "and main table.",
    ("kind", "table"),
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)

DB_POOL_WAIT = Histogram(
    "shop_db_pool_wait_seconds",
    "Time a request waited for a pooled database connection (PostgreSQL, SQL Server), "
    "a new connection's set-up included: a high quantile means the pool is too small "
    "for the load, or the database too slow to give connections back.",
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
             30.0),
)

DB_SLOW_QUERIES = Counter(
    "shop_db_slow_queries_total",
    "SQL statements slower than SHOP_SLOW_QUERY_MS, by statement kind and main table "
    "(each is also logged with its shape and duration).",
    ("kind", "table"),
)


OUTBOX_EVENTS_PUBLISHED = Counter(
    "shop_outbox_events_published_total",
    "Committed events the outbox relay handed to the event publisher (Redis stream or this "
    "process's consumers), by event type: orders placed, stock changes, ... per second.",
    ("type",),
)


PROCESS_RESIDENT_MEMORY = Gauge(
    "shop_process_resident_memory_bytes",
    "Resident memory of each shop process (under `shop serve`, one series per worker `pid`).",
    multiprocess_mode="liveall",
)

PROCESS_MEMORY_WARNINGS = Counter(
    "shop_process_memory_warnings_total",
    "Times a process's resident memory went above SHOP_MEMORY_WARN_MB (each is also "
    "logged as a warning; counted again only after it fell back below).",
)

EVENT_LOOP_LAG = Histogram(
    "shop_event_loop_lag_seconds",
    "How late a callback scheduled on the event loop ran: the wait every request, "
    "websocket message and event handler adds on a busy or blocked process.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


EVENTS_CONSUMED = Counter(
    "shop_events_consumed_total",
    "Events a consumer handled (its effect committed) and acknowledged, by consumer.",
    ("consumer",),
)

EVENTS_FAILED = Counter(
    "shop_events_failed_total",
    "Deliveries a consumer's handler raised on (each is retried or dead-lettered), "
    "by consumer.",
    ("consumer",),
)

EVENTS_DEAD_LETTERED = Counter(
    "shop_events_dead_lettered_total",
    "Events a consumer gave up on after its retry budget (kept for `shop events replay`), "
    "by consumer.",
    ("consumer",),
)

EVENT_HANDLED_DELAY_SECONDS = Histogram(
    "shop_event_commit_to_handled_seconds",
    "Time from an event's occurrence (in its committing transaction) to its consumer having "
    "handled it, by consumer.",
    ("consumer",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
             30.0, 60.0),
)

CONSUMER_GROUP_LAG = Gauge(
    "shop_consumer_group_lag",
    "Stream entries not yet delivered to a consumer's group (Redis `XINFO GROUPS` lag), "
    "by consumer.",
    ("consumer",),
    multiprocess_mode="livemax",  # every process reads the same group: one value, not a sum
)

CONSUMER_GROUP_PENDING = Gauge(
    "shop_consumer_group_pending",
    "Entries delivered to a consumer's group and not yet acknowledged, by consumer.",
    ("consumer",),
    multiprocess_mode="livemax",
)

OUTBOX_OLDEST_UNPUBLISHED_AGE_SECONDS = Gauge(
    "shop_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest committed event the outbox relay has not published yet (0 when none).",
    multiprocess_mode="livemax",
)

AI_INDEXED_PRODUCTS = Gauge(
    "shop_ai_indexed_products",
    "Products in this process's vector index (semantic search finds these).",
)

AI_EMBEDDINGS_PENDING = Gauge(
    "shop_ai_embeddings_pending",
    "Live products without an embedding by the running model yet: a bulk import's queue, "
    "which the indexer works down (or `shop ai reindex` after a model change).",
)


EXPOSITION_CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition(multiprocess_dir: Path | None = None) -> bytes:
    """Every metric in the Prometheus text format.

    With `multiprocess_dir` (the directory `shop serve` gave its workers), the
    values of every process writing there, aggregated; else this process's registry.
    """
    if multiprocess_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def serve_exposition(host: str, port: int) -> None:
    """`/metrics` of this process on its own port, from a daemon thread (`shop worker`: the
    event consumers' counters and lag live there, and it serves no HTTP otherwise)."""
    start_http_server(port, addr=host)


def forget_process(multiprocess_dir: Path | None, pid: int) -> None:
    """Drop a stopped worker's live gauges (its connections and memory are gone with it)."""
    if multiprocess_dir is not None:
        mark_process_dead(pid, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
