"""A notification record: one per (event, kind, recipient), pending until sent or failed."""

from __future__ import annotations

import uuid

import pytest

from shop.domain.notifications.notification import (
    Notification,
    NotificationAlreadySettled,
    NotificationKind,
    NotificationStatus,
    notification_id,
)
from tests.unit.fakes import T0


def welcome(recipient: str = "ada@example.com", event_id: uuid.UUID | None = None) -> Notification:
    return Notification.pending(kind=NotificationKind.WELCOME, recipient=recipient,
                                customer_id=uuid.uuid4(), subject="Welcome",
                                event_id=event_id or uuid.uuid4(), now=T0)


def test_the_same_event_kind_and_recipient_always_mean_the_same_notification() -> None:
    event_id = uuid.uuid4()
    assert welcome(event_id=event_id).id == welcome(event_id=event_id).id
    assert welcome("ADA@example.com", event_id).id == welcome(event_id=event_id).id
    assert welcome("bob@example.com", event_id).id != welcome(event_id=event_id).id
    assert notification_id(event_id, NotificationKind.LOW_STOCK, "ada@example.com") != (
        welcome(event_id=event_id).id)


def test_a_sent_notification_keeps_its_attempts_and_time_and_cannot_change_again() -> None:
    record = welcome()
    record.attempt()
    record.attempt_failed("421 try later")
    record.attempt()
    record.sent(T0)
    assert (record.status, record.attempts, record.sent_at, record.error) == (
        NotificationStatus.SENT, 2, T0, None)
    with pytest.raises(NotificationAlreadySettled):
        record.failed("late")


def test_a_failed_notification_keeps_a_bounded_readable_reason() -> None:
    record = welcome()
    record.attempt()
    record.failed("550 " + "x" * 2000)
    assert record.status is NotificationStatus.FAILED
    assert record.error is not None and record.error.startswith("550 ")
    assert len(record.error) == 500
    with pytest.raises(NotificationAlreadySettled):
        record.attempt()
