"""Sends one notification: recorded first, sent at most once, retried with backoff.

The record is written before the email leaves, keyed by (event, kind,
recipient), so a redelivered event finds it and sends nothing twice. A lease
on the record keeps two processes handling the same event at once from both
sending. A mail server that keeps failing ends the record `failed` with its
reason; a refused recipient fails at once. Neither raises: one bad recipient
never stops the others.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shop.application.notifications.ports import (
    EmailTemplates,
    MailDeliveryError,
    Mailer,
    NotificationStore,
    OutgoingEmail,
    Recipient,
)
from shop.application.ports import Clock
from shop.domain.notifications.notification import Notification, NotificationKind

Pause = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 3
    retry_seconds: float = 1.0
    """The pause after the first failed attempt; it doubles after each one."""
    send_timeout_seconds: float = 30.0

    @property
    def lease(self) -> timedelta:
        """Long enough for every attempt and pause of one send."""
        pauses = sum(self.retry_seconds * 2 ** n for n in range(self.max_attempts - 1))
        return timedelta(seconds=self.max_attempts * self.send_timeout_seconds + pauses + 5)


class NotificationBeingSent(Exception):
    """Another process is sending this notification now: the event is retried later,
    by when it is settled and nothing is sent again."""


@dataclass(frozen=True)
class Draft:
    """A notification to send: what, to whom, because of which event, with what to say."""

    kind: NotificationKind
    recipient: Recipient
    context: Mapping[str, Any]


class NotificationSender:
    def __init__(self, store: NotificationStore, templates: EmailTemplates, mailer: Mailer,
                 clock: Clock, policy: DeliveryPolicy, pause: Pause = asyncio.sleep) -> None:
        self._store = store
        self._templates = templates
        self._mailer = mailer
        self._clock = clock
        self._policy = policy
        self._pause = pause

    async def send(self, draft: Draft, event_id: uuid.UUID) -> Notification:
        rendered = self._templates.render(draft.kind, draft.context)
        record = await self._store.reserve(Notification.pending(
            kind=draft.kind, recipient=draft.recipient.email,
            customer_id=draft.recipient.customer_id, subject=rendered.subject,
            event_id=event_id, now=self._clock.now()))
        if record.is_settled:
            return record
        now = self._clock.now()
        if not await self._store.lease(record.id, now, now + self._policy.lease):
            raise NotificationBeingSent(f"{record.kind} to {record.recipient} is being sent")
        email = OutgoingEmail(to=record.recipient, subject=rendered.subject, text=rendered.text,
                              html=rendered.html, message_id=f"<{record.id}@shop.notifications>")
        await self._attempts(record, email)
        await self._store.save(record)
        return record

    async def _attempts(self, record: Notification, email: OutgoingEmail) -> None:
        pause = self._policy.retry_seconds
        for attempt in range(1, self._policy.max_attempts + 1):
            record.attempt()
            try:
                await self._mailer.send(email)
            except MailDeliveryError as error:
                if error.permanent or attempt == self._policy.max_attempts:
                    record.failed(error.reason)
                    return
                record.attempt_failed(error.reason)
                await self._store.save(record)
                await self._pause(pause)
                pause *= 2
                continue
            record.sent(self._clock.now())
            return
