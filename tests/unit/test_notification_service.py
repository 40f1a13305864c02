"""The NotificationService: which event sends what to whom, once, whatever the redeliveries."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from shop.application.consumers import ReceivedEvent
from shop.application.notifications.password_reset import PasswordResetMailer
from shop.application.notifications.sender import (
    DeliveryPolicy,
    NotificationBeingSent,
    NotificationSender,
)
from shop.application.notifications.service import NotificationService
from shop.domain.notifications.notification import (
    Notification,
    NotificationKind,
    NotificationStatus,
)
from tests.unit.fakes import T0, FixedClock
from tests.unit.notification_fakes import (
    FakeOrders,
    FakeProducts,
    FakeRecipients,
    InMemoryNotifications,
    PlainTemplates,
    RecordingMailer,
)

THRESHOLD = 5


@dataclass
class Notifications:
    store: InMemoryNotifications = field(default_factory=InMemoryNotifications)
    mailer: RecordingMailer = field(default_factory=RecordingMailer)
    recipients: FakeRecipients = field(default_factory=FakeRecipients)
    orders: FakeOrders = field(default_factory=FakeOrders)
    products: FakeProducts = field(default_factory=FakeProducts)
    pauses: list[float] = field(default_factory=list)
    clock: FixedClock = field(default_factory=FixedClock)

    async def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

    @property
    def sender(self) -> NotificationSender:
        return NotificationSender(self.store, PlainTemplates(), self.mailer, self.clock,
                                  DeliveryPolicy(max_attempts=3, retry_seconds=0.5),
                                  pause=self.pause)

    @property
    def service(self) -> NotificationService:
        return NotificationService(self.sender, self.recipients, self.orders, self.products,
                                   THRESHOLD)


def event(type_: str, **data: Any) -> ReceivedEvent:
    return ReceivedEvent(type=type_, event_id=uuid.uuid4(), occurred_at=T0,
                         data=json.loads(json.dumps(data, default=str)))


async def test_a_registration_sends_one_welcome_and_records_it_as_sent() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    registered = event("CustomerRegistered", customer_id=ada.customer_id)

    await shop.service.handle(registered)

    [email] = shop.mailer.sent
    assert email.to == "ada@example.com"
    assert email.subject == "welcome for Ada"
    [record] = shop.store.records.values()
    assert record.kind is NotificationKind.WELCOME
    assert record.status is NotificationStatus.SENT
    assert (record.recipient, record.customer_id) == ("ada@example.com", ada.customer_id)
    assert (record.attempts, record.event_id, record.sent_at) == (1, registered.event_id, T0)
    assert email.message_id == f"<{record.id}@shop.notifications>"


async def test_a_redelivered_order_paid_event_sends_no_second_email() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    order = shop.orders.add(ada)
    paid = event("OrderPaid", order_id=order.id)

    await shop.service.handle(paid)
    await shop.service.handle(paid)
    await Notifications(store=shop.store, mailer=shop.mailer, recipients=shop.recipients,
                        orders=shop.orders).service.handle(paid)  # another worker

    assert len(shop.mailer.sent) == 1
    assert len(shop.store.records) == 1


async def test_the_order_confirmation_carries_the_lines_and_the_total_with_its_currency() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    order = shop.orders.add(ada)

    await shop.service.handle(event("OrderPaid", order_id=order.id))

    [email] = shop.mailer.sent
    assert "Trail <Runner>" in email.text
    assert "total=39.98" in email.text and "currency=EUR" in email.text
    assert shop.store.of_kind(NotificationKind.ORDER_CONFIRMATION)[0].status == "sent"


async def test_shipping_and_cancelling_send_their_own_kinds_and_a_refund_is_mentioned() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    shipped = shop.orders.add(ada)
    refunded = shop.orders.add(ada, payment="refunded")
    unpaid = shop.orders.add(ada, payment="declined")

    await shop.service.handle(event("OrderShipped", order_id=shipped.id))
    await shop.service.handle(event("OrderCancelled", order_id=refunded.id))
    await shop.service.handle(event("OrderCancelled", order_id=unpaid.id))

    kinds = [r.kind for r in shop.store.records.values()]
    assert kinds == [NotificationKind.ORDER_SHIPPED, NotificationKind.ORDER_CANCELLED,
                     NotificationKind.ORDER_CANCELLED]
    texts = [email.text for email in shop.mailer.sent]
    assert "refunded=True" in texts[1]
    assert "refunded=False" in texts[2]


async def test_low_stock_alerts_every_admin_once_per_crossing_not_once_per_change() -> None:
    shop = Notifications()
    first = shop.recipients.add("root@example.com", "Root", admin=True)
    second = shop.recipients.add("ops@example.com", "Ops", admin=True)
    shop.recipients.add("ada@example.com", "Ada")
    product = shop.products.add("Trail Runner")

    for stock, delta in [(7, -3), (5, -2), (3, -2), (9, 6), (4, -5), (4, 0)]:
        await shop.service.handle(event("StockChanged", product_id=product.id, stock=stock,
                                        delta=delta))

    alerts = shop.store.of_kind(NotificationKind.LOW_STOCK)
    # 7 -> 5 crosses, 5 -> 3 stays below, 3 -> 9 goes back up, 9 -> 4 crosses again.
    assert sorted(r.recipient for r in alerts) == sorted([first.email, second.email] * 2)
    assert {"ada@example.com"}.isdisjoint(email.to for email in shop.mailer.sent)
    assert all("Trail Runner" in email.text for email in shop.mailer.sent)


async def test_a_refused_recipient_fails_at_once_and_never_blocks_the_other_admins() -> None:
    shop = Notifications()
    shop.recipients.add("gone@example.com", "Gone", admin=True)
    ops = shop.recipients.add("ops@example.com", "Ops", admin=True)
    product = shop.products.add("Trail Runner")
    shop.mailer.refused.add("gone@example.com")

    await shop.service.handle(event("StockChanged", product_id=product.id, stock=2, delta=-8))

    by_recipient = {r.recipient: r for r in shop.store.records.values()}
    assert by_recipient["gone@example.com"].status is NotificationStatus.FAILED
    assert by_recipient["gone@example.com"].attempts == 1
    assert by_recipient["gone@example.com"].error == "550 no such mailbox gone@example.com"
    assert by_recipient[ops.email].status is NotificationStatus.SENT


async def test_a_failing_mail_server_is_retried_with_backoff_and_then_recorded_as_failed() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    bob = shop.recipients.add("bob@example.com", "Bob")
    shop.mailer.flaky = {"ada@example.com": 1, "bob@example.com": 10}

    await shop.service.handle(event("CustomerRegistered", customer_id=ada.customer_id))
    await shop.service.handle(event("CustomerRegistered", customer_id=bob.customer_id))

    by_recipient = {r.recipient: r for r in shop.store.records.values()}
    assert (by_recipient[ada.email].status, by_recipient[ada.email].attempts) == ("sent", 2)
    assert by_recipient[ada.email].error is None
    failed = by_recipient[bob.email]
    assert (failed.status, failed.attempts, failed.error) == ("failed", 3, "connection refused")
    assert shop.pauses == [0.5, 0.5, 1.0]  # Ada once; Bob twice, doubling


async def test_a_failed_notification_is_not_retried_by_a_redelivery() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    shop.mailer.refused.add(ada.email)
    registered = event("CustomerRegistered", customer_id=ada.customer_id)

    await shop.service.handle(registered)
    await shop.service.handle(registered)

    assert shop.mailer.attempts == 1


async def test_a_notification_another_worker_is_sending_makes_the_event_come_back() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    registered = event("CustomerRegistered", customer_id=ada.customer_id)
    # Another worker recorded the welcome and holds the lease while it sends it.
    record = await shop.store.reserve(Notification.pending(
        kind=NotificationKind.WELCOME, recipient=ada.email, customer_id=ada.customer_id,
        subject="welcome for Ada", event_id=registered.event_id, now=T0))
    assert await shop.store.lease(record.id, T0, T0 + timedelta(minutes=1))

    with pytest.raises(NotificationBeingSent):
        await shop.service.handle(registered)
    assert shop.mailer.sent == []

    shop.clock.at = T0 + timedelta(minutes=2)  # that worker died: its lease ran out
    await shop.service.handle(registered)
    assert [email.to for email in shop.mailer.sent] == [ada.email]


async def test_a_password_reset_is_recorded_without_its_token_and_emailed_with_it() -> None:
    shop = Notifications()
    ada = shop.recipients.add("ada@example.com", "Ada")
    assert ada.customer_id is not None
    reset = PasswordResetMailer(shop.sender, shop.recipients, shop.clock)

    await reset.send_reset(ada.customer_id, ada.email, "tok-secret", T0 + timedelta(minutes=30))
    await reset.send_reset(ada.customer_id, ada.email, "tok-secret", T0 + timedelta(minutes=30))

    [email] = shop.mailer.sent
    assert "token=tok-secret" in email.text and "valid_minutes=30" in email.text
    [record] = shop.store.records.values()
    assert record.kind is NotificationKind.PASSWORD_RESET
    assert "tok-secret" not in repr(record)
