"""A notification: one email of one kind, to one recipient, because of one event.

Its id is derived from (event, kind, recipient), so however often the event
is delivered the same notification is meant, and the store's primary key makes
"one event never yields two records of the same kind for the same recipient"
hold across processes. Status moves `pending` -> `sent` or `failed`, never back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

_NAMESPACE = uuid.UUID("0f3b7f7e-6a43-4a8e-9f0e-8c1f2f6d4b21")
REASON_LIMIT = 500


class NotificationKind(StrEnum):
    WELCOME = "welcome"
    ORDER_CONFIRMATION = "order_confirmation"
    ORDER_SHIPPED = "order_shipped"
    ORDER_CANCELLED = "order_cancelled"
    LOW_STOCK = "low_stock"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of email, not a secret


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NotificationAlreadySettled(Exception):
    """A sent or failed notification was asked to change again (a bug in the caller)."""


def notification_id(event_id: uuid.UUID, kind: NotificationKind, recipient: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{event_id}:{kind.value}:{recipient.lower()}")


@dataclass
class Notification:
    id: uuid.UUID
    kind: NotificationKind
    recipient: str
    customer_id: uuid.UUID | None
    subject: str
    event_id: uuid.UUID
    created_at: datetime
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    sent_at: datetime | None = None
    error: str | None = None

    @classmethod
    def pending(cls, *, kind: NotificationKind, recipient: str, customer_id: uuid.UUID | None,
                subject: str, event_id: uuid.UUID, now: datetime) -> Notification:
        return cls(id=notification_id(event_id, kind, recipient), kind=kind,
                   recipient=recipient, customer_id=customer_id, subject=subject,
                   event_id=event_id, created_at=now)

    @property
    def is_settled(self) -> bool:
        return self.status is not NotificationStatus.PENDING

    def attempt(self) -> None:
        self._require_pending()
        self.attempts += 1

    def sent(self, now: datetime) -> None:
        self._require_pending()
        self.status = NotificationStatus.SENT
        self.sent_at = now
        self.error = None

    def attempt_failed(self, reason: str) -> None:
        """Keep the last reason while retries go on (the record shows why it is late)."""
        self._require_pending()
        self.error = reason[:REASON_LIMIT]

    def failed(self, reason: str) -> None:
        self._require_pending()
        self.status = NotificationStatus.FAILED
        self.error = reason[:REASON_LIMIT]

    def _require_pending(self) -> None:
        if self.is_settled:
            raise NotificationAlreadySettled(f"notification {self.id} is already {self.status}")
