"""Stream entries and outbox rows become `ReceivedEvent`s here, and only here.

Both runtimes hand consumers the same value: the Redis one parses the fields of
a `shop:events` entry, the embedded one the outbox row the entry would have
been made of. `RawEvent` is the text form in between (what the stream carries
and what a dead letter keeps, so an entry that cannot be parsed is kept too).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shop.application.consumers import ReceivedEvent
from shop.infrastructure.db.outbox import OutboxMessage

FIELDS = ("type", "id", "occurred_at", "data")
"""The fields of a stream entry, as the contract names them."""
TRACEPARENT = "traceparent"
"""The optional fifth field: the W3C trace context of the request that caused the event."""


class MalformedEvent(ValueError):
    """A stream entry that is not a contract event (missing field, bad id, bad JSON)."""


def format_occurred_at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class RawEvent:
    """The four contract fields of one event, as text."""

    type: str
    id: str
    occurred_at: str
    data: str
    traceparent: str = ""
    """Empty unless tracing was on when the event was written."""

    @classmethod
    def from_stream(cls, fields: Mapping[bytes, bytes] | Mapping[str, str]) -> RawEvent:
        """The fields of a stream entry (bytes or text keys); absent ones are empty."""
        text = {_text(key): _text(value) for key, value in fields.items()}
        return cls(**{name: text.get(name, "") for name in FIELDS},
                   traceparent=text.get(TRACEPARENT, ""))

    @classmethod
    def from_outbox(cls, message: OutboxMessage) -> RawEvent:
        return cls(
            type=message.event_type,
            id=str(message.event_id),
            occurred_at=format_occurred_at(message.occurred_at),
            data=message.data_json,
            traceparent=message.traceparent or "",
        )

    def fields(self) -> dict[str, str]:
        """What `XADD` appends: the contract's entry, plus `traceparent` when traced."""
        fields = {"type": self.type, "id": self.id, "occurred_at": self.occurred_at,
                  "data": self.data}
        if self.traceparent:
            fields[TRACEPARENT] = self.traceparent
        return fields

    def parse(self) -> ReceivedEvent:
        """The event a consumer receives; `MalformedEvent` if any field is not valid."""
        if not self.type:
            raise MalformedEvent("the entry has no type")
        try:
            event_id = uuid.UUID(self.id)
            occurred_at = datetime.fromisoformat(self.occurred_at)
            data = json.loads(self.data)
        except ValueError as error:
            raise MalformedEvent(f"{self.type} entry is malformed: {error}") from error
        if not isinstance(data, dict):
            raise MalformedEvent(f"{self.type} entry's data is not a JSON object")
        if occurred_at.tzinfo is None:
            raise MalformedEvent(f"{self.type} entry's occurred_at has no time zone")
        return ReceivedEvent(type=self.type, event_id=event_id, occurred_at=occurred_at,
                             data=data)
