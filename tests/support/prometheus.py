"""Reading a Prometheus text exposition in tests: families parsed by prometheus_client itself."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families


def families(exposition: str) -> dict[str, Metric]:
    return {family.name: family for family in text_string_to_metric_families(exposition)}


def sample_value(exposition: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when none)."""
    wanted = dict(labels or {})
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and wanted.items() <= sample.labels.items():
                total += sample.value
    return total


def label_values(exposition: str, name: str, label: str) -> set[str]:
    """Every value `label` takes on the samples called `name`."""
    return {
        sample.labels[label]
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and label in sample.labels
    }
