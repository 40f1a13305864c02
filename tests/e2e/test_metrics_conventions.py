"""The `/metrics` exposition follows Prometheus conventions, checked by prometheus_client's parser.

Names say their unit (`_seconds`, `_bytes`) and counters end in `_total`;
every family has help text; labels are bounded: a route is its template, never
a path with ids in it, and no label carries an id, an email or a token.
"""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.metrics_core import Metric

from tests.e2e.helpers import Catalog
from tests.support.prometheus import families

Client = AsyncTestClient[Litestar]

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
UNITS = ("_seconds", "_bytes")
UNITLESS_HISTOGRAMS: frozenset[str] = frozenset()
FORBIDDEN_LABELS = frozenset({"id", "path", "url", "email", "token", "user", "customer_id",
                              "product_id", "order_id", "request_id", "trace_id"})
UUID_TEXT = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
NUMERIC_SEGMENT = re.compile(r"/\d+(/|$)")
TYPED_PARAMETER = re.compile(r"\{(\w+):\w+\}")
"""`{product_id:uuid}` in a route's declaration is `{product_id}` in its template."""
RUNTIME_COLLECTORS = ("python_", "process_", "platform_")
"""prometheus_client's default collectors (absent under `shop serve`'s multiprocess mode).
Families ending in `_created` are its creation timestamps of counters and histograms, which
the 0.0.4 text format exposes as gauges of their own."""


def convention_breaches(family: Metric, routes: set[str]) -> list[str]:
    breaches: list[str] = []
    name = family.name
    if not NAME.match(name) or not name.startswith("shop_"):
        breaches.append(f"{name}: not a snake_case shop_ name")
    if not family.documentation.strip():
        breaches.append(f"{name}: no help text")
    if family.type == "counter" and name.endswith("_total"):
        breaches.append(f"{name}: the parser saw _total twice")
    if family.type == "histogram" and not name.endswith(UNITS):
        breaches.append(f"{name}: a histogram without a unit suffix")
    if family.type == "gauge" and name.endswith("_total"):
        breaches.append(f"{name}: a gauge named like a counter")
    if "memory" in name and not name.endswith("_bytes") and family.type == "gauge":
        breaches.append(f"{name}: memory not in bytes")
    for sample in family.samples:
        if family.type == "counter" and sample.name.endswith("_created"):
            continue
        if family.type == "counter" and not sample.name.endswith("_total"):
            breaches.append(f"{sample.name}: a counter sample without _total")
        for label, value in sample.labels.items():
            if label in FORBIDDEN_LABELS:
                breaches.append(f"{sample.name}: unbounded label {label}")
            if UUID_TEXT.search(value) or NUMERIC_SEGMENT.search(value):
                breaches.append(f"{sample.name}: an id in label {label}={value}")
            if label == "route" and value not in routes:
                breaches.append(f"{sample.name}: route {value!r} is not a route template")
    return breaches


async def test_the_exposition_follows_prometheus_naming_and_label_conventions(
    client: Client, catalog: Catalog
) -> None:
    category = await catalog.category()
    product = await catalog.product(category)
    await client.get(f"/api/v1/products/{product['id']}")
    await client.get(f"/api/v1/products/{uuid.uuid4()}")
    await client.get(f"/api/v1/orders/{uuid.uuid4()}/nothing-here/12")

    response = await client.get("/metrics")

    app = client.app
    routes = {TYPED_PARAMETER.sub(r"{\1}", route.path) for route in app.routes} | {"unmatched"}
    parsed = families(response.text)
    ours = [family for name, family in parsed.items()
            if not name.startswith(RUNTIME_COLLECTORS) and not name.endswith("_created")]
    breaches = [breach for family in ours for breach in convention_breaches(family, routes)]
    assert breaches == []
    assert {"shop_http_request_duration_seconds", "shop_db_query_duration_seconds",
            "shop_event_loop_lag_seconds", "shop_process_resident_memory_bytes"} <= set(parsed)
    durations = parsed["shop_http_request_duration_seconds"].samples
    assert {s.labels["route"] for s in durations} >= {"/api/v1/products/{product_id}",
                                                      "unmatched"}
