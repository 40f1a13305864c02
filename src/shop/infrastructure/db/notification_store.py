"""The notification records: written before an email leaves, read by the two list routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.notifications.ports import NotificationCriteria
from shop.application.paging import Page, PageOf
from shop.domain.notifications.notification import (
    Notification,
    NotificationKind,
    NotificationStatus,
)
from shop.infrastructure.db.engine import write_transaction
from shop.infrastructure.db.schema import notifications

_PENDING = NotificationStatus.PENDING.value


def _row(notification: Notification) -> dict[str, Any]:
    return {"id": notification.id, "kind": notification.kind.value,
            "recipient": notification.recipient, "customer_id": notification.customer_id,
            "subject": notification.subject, "status": notification.status.value,
            "attempts": notification.attempts, "event_id": notification.event_id,
            "created_at": notification.created_at, "sent_at": notification.sent_at,
            "error": notification.error}


def _notification(row: sa.Row[Any]) -> Notification:
    return Notification(id=row.id, kind=NotificationKind(row.kind), recipient=row.recipient,
                        customer_id=row.customer_id, subject=row.subject,
                        status=NotificationStatus(row.status), attempts=row.attempts,
                        event_id=row.event_id, created_at=row.created_at, sent_at=row.sent_at,
                        error=row.error)


class SqlNotificationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def reserve(self, notification: Notification) -> Notification:
        try:
            async with write_transaction(self._engine) as conn:
                await conn.execute(sa.insert(notifications).values(_row(notification)))
            return notification
        except IntegrityError:
            stored = await self.get(notification.id)
            if stored is None:  # pragma: no cover - a key conflict implies the row exists
                raise
            return stored

    async def get(self, notification_id: uuid.UUID) -> Notification | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(notifications)
                                      .where(notifications.c.id == notification_id))).first()
        return None if row is None else _notification(row)

    async def lease(self, notification_id: uuid.UUID, now: datetime, until: datetime) -> bool:
        async with write_transaction(self._engine) as conn:
            result = await conn.execute(
                sa.update(notifications)
                .where(notifications.c.id == notification_id,
                       notifications.c.status == _PENDING,
                       sa.or_(notifications.c.leased_until.is_(None),
                              notifications.c.leased_until < now))
                .values(leased_until=until)
            )
        return result.rowcount == 1

    async def save(self, notification: Notification) -> None:
        values = {key: value for key, value in _row(notification).items()
                  if key in {"status", "attempts", "sent_at", "error"}}
        if notification.is_settled:
            values["leased_until"] = None
        async with write_transaction(self._engine) as conn:
            await conn.execute(sa.update(notifications)
                               .where(notifications.c.id == notification.id).values(values))


class SqlNotificationReadModel:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def notifications(self, criteria: NotificationCriteria,
                            page: Page) -> PageOf[Notification]:
        conditions: list[sa.ColumnElement[bool]] = []
        if criteria.customer_id is not None:
            conditions.append(notifications.c.customer_id == criteria.customer_id)
        if criteria.kind is not None:
            conditions.append(notifications.c.kind == criteria.kind.value)
        if criteria.status is not None:
            conditions.append(notifications.c.status == criteria.status.value)
        async with self._engine.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(notifications)
                                        .where(*conditions))).scalar_one()
            rows = (await conn.execute(
                sa.select(notifications).where(*conditions)
                .order_by(notifications.c.created_at.desc(), notifications.c.id)
                .limit(page.limit).offset(page.offset))).all()
        return PageOf(items=[_notification(row) for row in rows], total=total,
                      limit=page.limit, offset=page.offset)
