"""The notification record as the contract shows it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from shop.domain.notifications.notification import Notification

Kind = Literal["welcome", "order_confirmation", "order_shipped", "order_cancelled", "low_stock",
               "password_reset"]
Status = Literal["pending", "sent", "failed"]


class NotificationResponse(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: Kind
    recipient: str
    customer_id: uuid.UUID | None
    subject: str
    status: Status
    attempts: int
    event_id: uuid.UUID
    created_at: datetime
    sent_at: datetime | None
    error: str | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationResponse:
        return cls(id=notification.id, kind=notification.kind.value,
                   recipient=notification.recipient, customer_id=notification.customer_id,
                   subject=notification.subject,
                   status=notification.status.value,
                   attempts=notification.attempts, event_id=notification.event_id,
                   created_at=notification.created_at, sent_at=notification.sent_at,
                   error=notification.error)
