"""`SalesProjection`: keeps sales per day, sales per product per day and orders by status.

It follows every order through its events (see `tracked_order`) and, in the
transaction that records the event as applied, adds the difference between
what the order contributed before and after it. A redelivered event is
recognised by the processed-events record and changes nothing; an event that
arrives after a later one (or after a rebuild that already saw its effect)
leaves the order's status where it is, so it changes nothing either.
"""

from __future__ import annotations

import uuid

from shop.application.analytics.event_data import placement_of
from shop.application.analytics.ports import ProjectionSession
from shop.application.analytics.projection_consumer import ProjectionConsumer
from shop.application.analytics.tracked_order import (
    CANCELLED,
    PAID,
    PENDING,
    SHIPPED,
    TrackedOrder,
    change_between,
)
from shop.application.consumers import ReceivedEvent

STATUS_OF_EVENT = {
    "OrderPlaced": PENDING,
    "OrderPaid": PAID,
    "OrderShipped": SHIPPED,
    "OrderCancelled": CANCELLED,
}


class SalesProjection(ProjectionConsumer):
    """An event consumer (`shop.application.consumers.EventConsumer`) of the order events."""

    name = "analytics-sales"
    event_types = frozenset(STATUS_OF_EVENT)

    async def apply(self, session: ProjectionSession, event: ReceivedEvent) -> None:
        order_id = uuid.UUID(str(event.data["order_id"]))
        before = await session.tracked_order(order_id)
        after = (before or TrackedOrder.unseen(order_id)).moved_to(STATUS_OF_EVENT[event.type])
        if event.type == "OrderPlaced":
            after = after.placed(placement_of(event.data, event.occurred_at))
        if after == before:
            return
        await session.save_order(after)
        change = change_between(before, after)
        if not change.is_zero:
            await session.add(change)
