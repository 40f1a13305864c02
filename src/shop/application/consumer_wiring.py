"""The table of event consumers: built once, by the composition root, before anything runs.

Every consumer the shop runs is constructed here from the ports it needs; the
consumer runtime (Redis consumer groups with `shop worker`, or in-process from
the outbox on the embedded default) is handed this tuple and never gains a
consumer afterwards. Adding one is adding a line here and a keyword argument
for what it needs (see docs/architecture.md, "Event consumers").
"""

from __future__ import annotations

from collections.abc import Sequence

from shop.application.analytics.ports import ProjectionStore
from shop.application.analytics.sales_projection import SalesProjection
from shop.application.analytics.stock_projection import ProductStockProjection
from shop.application.catalog.ports import CatalogReadModel
from shop.application.consumers import EventConsumer
from shop.application.notifications.ports import Recipients
from shop.application.notifications.sender import NotificationSender
from shop.application.notifications.service import NotificationService
from shop.application.ordering.ports import OrderReadModel


class DuplicateConsumerName(ValueError):
    """Two consumers share a name, i.e. a consumer group: they would split its events."""


def build_consumers(
    *,
    notification_sender: NotificationSender,
    recipients: Recipients,
    order_read_model: OrderReadModel,
    catalog_read_model: CatalogReadModel,
    low_stock_threshold: int,
    projection_store: ProjectionStore,
    ai_consumers: Sequence[EventConsumer] = (),
) -> tuple[EventConsumer, ...]:
    """`ai_consumers`: the embedding indexer and the co-purchase projection (none with
    `SHOP_AI_ENABLED=false`)."""
    return checked_names((
        NotificationService(notification_sender, recipients, order_read_model,
                            catalog_read_model, low_stock_threshold),
        SalesProjection(projection_store),
        ProductStockProjection(projection_store),
        *ai_consumers,
    ))


def checked_names(consumers: Sequence[EventConsumer]) -> tuple[EventConsumer, ...]:
    seen: set[str] = set()
    for consumer in consumers:
        if consumer.name in seen:
            raise DuplicateConsumerName(f"two event consumers are named {consumer.name!r}")
        seen.add(consumer.name)
    return tuple(consumers)
