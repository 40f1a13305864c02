"""The base of every domain event: an immutable fact with its own id and time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. `event_id` makes consumers idempotent."""

    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=_now)

    @property
    def type_name(self) -> str:
        return type(self).__name__

    @property
    def aggregate_id(self) -> uuid.UUID:
        """The id of the aggregate the event is about (relay order is kept per aggregate)."""
        raise NotImplementedError


class EventRecorder:
    """Mixin for aggregates: they record events that the unit of work publishes on commit.

    The list is created lazily so that dataclass aggregates need no __init__ hook.
    """

    def record(self, event: DomainEvent) -> None:
        self.__dict__.setdefault("_pending_events", []).append(event)

    def pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = self.__dict__.pop("_pending_events", [])
        return events
