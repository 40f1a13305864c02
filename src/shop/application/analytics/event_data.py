"""Reading the analytics-relevant parts of received events' `data` (JSON: strings for money)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shop.application.analytics.tracked_order import Placement, TrackedLine
from shop.domain.shared.money import Money


def minor_units(amount: str, currency: str) -> int:
    """A decimal money string of the event (`"19.99"`) as exact minor units (1999)."""
    return Money.of(amount, currency).minor_units


def utc_timestamp(value: Any, fallback: datetime) -> datetime:
    """An ISO 8601 timestamp of the data, UTC when it has no offset; `fallback` when absent."""
    if not isinstance(value, str):
        return fallback.astimezone(UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def placement_of(data: Mapping[str, Any], occurred_at: datetime) -> Placement:
    """The placement carried by an `OrderPlaced` (events written before `placed_at`
    existed are dated by when they occurred, which is the same instant give or take
    a millisecond)."""
    currency = str(data["currency"])
    lines = tuple(
        TrackedLine(product_id=uuid.UUID(str(line["product_id"])),
                    quantity=int(line["quantity"]),
                    revenue_minor=minor_units(str(line["line_total"]), currency))
        for line in data["lines"]
    )
    return Placement(placed_at=utc_timestamp(data.get("placed_at"), occurred_at),
                     currency=currency,
                     total_minor=minor_units(str(data["total"]), currency),
                     lines=lines)
