"""Password-reset emails: the customers context's `PasswordResetNotifier`, as a notification.

The reset token reaches only the email (and the `.eml` file on the embedded
default); the notification record keeps the kind, recipient and status, never
the token. Its `event_id` identifies the reset request: it is derived from a
hash of the token, so sending the same request twice records and sends it once.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from shop.application.notifications.ports import Recipient, Recipients
from shop.application.notifications.sender import Draft, NotificationSender
from shop.application.ports import Clock
from shop.domain.notifications.notification import NotificationKind

_REQUESTS = uuid.UUID("5d0c1c8e-2f55-4f0a-8d53-7f5d9f7e4c11")


class PasswordResetMailer:
    def __init__(self, sender: NotificationSender, recipients: Recipients, clock: Clock) -> None:
        self._sender = sender
        self._recipients = recipients
        self._clock = clock

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None:
        known = await self._recipients.customer(customer_id)
        recipient = Recipient(email=email, name=known.name if known else email,
                              customer_id=customer_id)
        minutes = max(1, round((expires_at - self._clock.now()).total_seconds() / 60))
        context = {"name": recipient.name, "token": token, "valid_minutes": minutes,
                   "expires_at": expires_at.strftime("%Y-%m-%d %H:%M UTC")}
        request_id = uuid.uuid5(_REQUESTS, hashlib.sha256(token.encode()).hexdigest())
        await self._sender.send(Draft(NotificationKind.PASSWORD_RESET, recipient, context),
                                request_id)
