"""The analytics summary on the wire, and its window's `from`/`to` as clients write them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import msgspec

from shop.application.analytics.views import SalesSummary
from shop.domain.shared.errors import InvalidParameter
from shop.interfaces.http.dto.common import money_text

EDGE_FORMATS = (
    "An ISO 8601 date (`2026-11-01`, meaning 00:00 UTC that day) or timestamp "
    "(`2026-11-01T10:00:00Z`, `2026-11-01T12:00:00+02:00`; UTC when it has no offset). "
    "Encode `+` as `%2B` in a URL (a `+` decoded to a space before the offset is accepted)."
)
EDGE_SCHEMA = {"anyOf": [{"type": "string", "format": "date"},
                         {"type": "string", "format": "date-time"}]}

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPACED_OFFSET = re.compile(r"^(.*T[\d:.]+) (\d{2}:?\d{2})$")


def parse_edge(text: str | None, field: str) -> datetime | None:
    """`from`/`to` as an aware UTC datetime; a date is that day's midnight in UTC."""
    if text is None or text == "":
        return None
    cleaned = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    try:
        if _DATE_ONLY.match(cleaned):
            return datetime.combine(date.fromisoformat(cleaned), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidParameter(field, f"{text!r} is not an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class TopProductResponse(msgspec.Struct, kw_only=True):
    product_id: uuid.UUID
    name: str
    units: int
    revenue: str


class LowStockResponse(msgspec.Struct, kw_only=True):
    product_id: uuid.UUID
    name: str
    stock: int


class DayRevenueResponse(msgspec.Struct, kw_only=True):
    date: date
    """A UTC day of the window (partial edge days count only their part in the window)."""
    revenue: str
    orders: int


class SalesSummaryResponse(msgspec.Struct, kw_only=True):
    """Orders placed in [from, to); revenue counts Paid and Shipped orders only."""

    window_from: datetime = msgspec.field(name="from")
    """The window's start as resolved (the default: 30 days before `to`)."""
    window_to: datetime = msgspec.field(name="to")
    """The window's end, exclusive (the default: the end of today, UTC)."""
    currency: str
    revenue: str
    orders_count: int
    """Paid and Shipped orders."""
    average_order_value: str
    """revenue / orders_count, rounded half to even to the cent; "0.00" without orders."""
    orders_by_status: dict[str, int]
    """Orders placed in the window by their current status (every status, zeros included)."""
    top_products: list[TopProductResponse]
    """Up to 10, highest revenue first."""
    low_stock: list[LowStockResponse]
    """Products at or under SHOP_LOW_STOCK_THRESHOLD units now (not windowed), lowest first."""
    revenue_by_day: list[DayRevenueResponse]
    """Every UTC day of the window in order, days without sales included."""

    @classmethod
    def from_view(cls, view: SalesSummary) -> SalesSummaryResponse:
        return cls(
            window_from=view.start,
            window_to=view.end,
            currency=view.currency,
            revenue=money_text(view.revenue.amount),
            orders_count=view.orders_count,
            average_order_value=money_text(view.average_order_value.amount),
            orders_by_status=view.orders_by_status,
            top_products=[TopProductResponse(product_id=p.product_id, name=p.name, units=p.units,
                                             revenue=money_text(p.revenue.amount))
                          for p in view.top_products],
            low_stock=[LowStockResponse(product_id=p.product_id, name=p.name, stock=p.stock)
                       for p in view.low_stock],
            revenue_by_day=[DayRevenueResponse(date=d.day, revenue=money_text(d.revenue.amount),
                                               orders=d.orders) for d in view.revenue_by_day],
        )


_PRESENTED: dict[int, tuple[SalesSummary, SalesSummaryResponse]] = {}
PRESENTED_MAX = 64


def present_summary(view: SalesSummary) -> SalesSummaryResponse:
    """The wire form of a summary, built once per answer.

    While an answer is cached the handler hands out the same view object, so
    its wire form (some fifty structs for 30 days) is reused instead of being
    rebuilt for every request; the entry keeps the view alive, so its id is
    never reused while it is here.
    """
    found = _PRESENTED.get(id(view))
    if found is not None and found[0] is view:
        return found[1]
    response = SalesSummaryResponse.from_view(view)
    if len(_PRESENTED) >= PRESENTED_MAX:
        _PRESENTED.clear()
    _PRESENTED[id(view)] = (view, response)
    return response
