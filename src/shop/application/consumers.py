"""Event consumers: application-layer handlers of committed events, fed by a runtime.

A consumer reacts to events after they left the outbox (notifications,
projections, indexers). It has a stable `name`, which is its consumer group on
the Redis Stream and its key in the processed-events record, and the event
types it wants. Infrastructure feeds it: from `XREADGROUP` with Redis, or
in-process from the outbox on the embedded default. Delivery is at least once,
so a consumer makes its effect idempotent by event id: a consumer that writes
to the database records the event id in the same transaction as its effect
(`claim_event` in `shop.infrastructure.db.processed_events` behind a port of
the consumer's own context); one with an outside effect keeps a sent-record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ReceivedEvent:
    """A committed event as a consumer receives it: the contract's stream entry, parsed.

    `data` is the event's JSON object (money as decimal strings, ids as UUID
    strings), exactly what the `shop:events` stream carries.
    """

    type: str
    event_id: uuid.UUID
    occurred_at: datetime
    data: Mapping[str, Any]


class EventConsumer(Protocol):
    """What the consumer runtime feeds. Raising means "not handled": it is redelivered."""

    @property
    def name(self) -> str:
        """Stable and unique: the consumer group and the processed-events key."""
        ...

    @property
    def event_types(self) -> frozenset[str]:
        """The `type` values it handles; the runtime acknowledges the rest unseen."""
        ...

    async def handle(self, event: ReceivedEvent) -> None: ...
