"""The Grafana dashboard and the Prometheus alerts use only metrics the shop exposes.

A renamed metric would leave a panel empty and an alert silent without any
error: so every `shop_*` name in their PromQL is looked up in a real `/metrics`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.metrics_core import Metric

from tests.support.prometheus import families

Client = AsyncTestClient[Litestar]

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "shop.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
COMPOSE = ROOT / "docker-compose.yml"
METRIC = re.compile(r"\bshop_[a-z0-9_]+\b")
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",)}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"]
            for rule in group["rules"]]


def is_exposed(name: str, exposed: dict[str, Metric]) -> bool:
    """A family name, or a sample name of a family of the right type (`_bucket`, `_total`)."""
    if name in exposed:
        return True
    for family_name, family in exposed.items():
        suffixes = SUFFIXES.get(family.type, ())
        if any(name == family_name + suffix for suffix in suffixes):
            return True
    return False


async def test_every_metric_of_the_dashboard_and_the_alerts_is_exposed(
    embedded_client: Client,
) -> None:
    await embedded_client.get("/health/live")
    exposed = families((await embedded_client.get("/metrics")).text)
    used = {name for expr in dashboard_expressions() + [r["expr"] for r in alert_rules()]
            for name in METRIC.findall(expr)}

    assert len(used) >= 15
    assert sorted(name for name in used if not is_exposed(name, exposed)) == []


def test_the_dashboard_covers_traffic_business_realtime_events_database_and_memory() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasource = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]
    text = " ".join(dashboard_expressions())
    for needed in ("shop_http_request_duration_seconds", 'type="OrderPlaced"',
                   'type="StockChanged"', "shop_ws_connections", "shop_ws_messages_sent_total",
                   "shop_consumer_group_lag", "shop_db_slow_queries_total",
                   "shop_process_resident_memory_bytes"):
        assert needed in text
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert all(panel["datasource"]["uid"] == datasource["uid"] for panel in panels)
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_the_alerts_cover_errors_latency_event_lag_dead_letters_and_memory() -> None:
    rules = alert_rules()
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule)
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]
    text = " ".join(rule["expr"] for rule in rules)
    for needed in ('status=~"5.."', "histogram_quantile(0.99", "shop_consumer_group_lag",
                   "shop_outbox_oldest_unpublished_age_seconds",
                   "shop_events_dead_lettered_total", "shop_process_memory_warnings_total"):
        assert needed in text


def test_compose_mounts_the_files_prometheus_and_grafana_load() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    mounted = [volume.split(":")[0] for name in ("prometheus", "grafana")
               for volume in services[name]["volumes"]]
    assert all((ROOT / path).exists() for path in mounted)
    assert "/etc/prometheus/alerts.yml" in yaml.safe_load(PROMETHEUS.read_text())["rule_files"]
    assert services["api-mssql"]["profiles"] == ["mssql"]
    assert services["api-mssql"]["build"]["target"] == "mssql"
    assert "mssql+aioodbc://" in services["api-mssql"]["environment"]["SHOP_DATABASE_URL"]
