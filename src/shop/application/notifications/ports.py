"""What the notifications context needs from the outside world."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shop.application.paging import Page, PageOf
from shop.domain.notifications.notification import (
    Notification,
    NotificationKind,
    NotificationStatus,
)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    customer_id: uuid.UUID | None


@dataclass(frozen=True)
class RenderedEmail:
    """A template's output: both bodies, so mail clients without HTML still read it."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    """Stable per notification, so a receiving system can tell a resend from a new email."""


class MailDeliveryError(Exception):
    """The mail server refused or could not be reached; `permanent` when retrying is useless
    (a refused recipient), transient otherwise (connection, timeout, 4xx)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Hand the email over for delivery, or raise `MailDeliveryError`."""
        ...


class EmailTemplates(Protocol):
    def render(self, kind: NotificationKind, context: Mapping[str, Any]) -> RenderedEmail: ...


class NotificationStore(Protocol):
    async def reserve(self, notification: Notification) -> Notification:
        """Record it unless a notification with its id exists; returns the stored one."""
        ...

    async def lease(self, notification_id: uuid.UUID, now: datetime, until: datetime) -> bool:
        """Take the right to send a pending notification until `until`; False while another
        process holds it (or it is no longer pending)."""
        ...

    async def save(self, notification: Notification) -> None:
        """Store its status, attempts and error; once it is settled its lease ends too."""
        ...


class Recipients(Protocol):
    async def customer(self, customer_id: uuid.UUID) -> Recipient | None: ...
    async def admins(self) -> list[Recipient]:
        """Every admin who can sign in."""
        ...


@dataclass(frozen=True)
class NotificationCriteria:
    customer_id: uuid.UUID | None = None
    kind: NotificationKind | None = None
    status: NotificationStatus | None = None


class NotificationReadModel(Protocol):
    async def notifications(self, criteria: NotificationCriteria,
                            page: Page) -> PageOf[Notification]: ...
