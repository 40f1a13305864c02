"""In-memory stand-ins for the notifications context's ports."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from shop.application.catalog.views import ProductView
from shop.application.notifications.ports import (
    MailDeliveryError,
    NotificationCriteria,
    OutgoingEmail,
    Recipient,
    RenderedEmail,
)
from shop.application.ordering.views import OrderLineView, OrderView, PaymentView
from shop.application.paging import Page, PageOf
from shop.domain.notifications.notification import Notification, NotificationKind
from tests.unit.fakes import T0


class InMemoryNotifications:
    """The store and the read model in one: records keyed by id, leases by id."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, Notification] = {}
        self.leases: dict[uuid.UUID, datetime] = {}

    async def reserve(self, notification: Notification) -> Notification:
        stored = self.records.setdefault(notification.id, replace(notification))
        return replace(stored)

    async def lease(self, notification_id: uuid.UUID, now: datetime, until: datetime) -> bool:
        record = self.records.get(notification_id)
        held = self.leases.get(notification_id)
        if record is None or record.is_settled or (held is not None and held >= now):
            return False
        self.leases[notification_id] = until
        return True

    async def save(self, notification: Notification) -> None:
        self.records[notification.id] = replace(notification)
        if notification.is_settled:
            self.leases.pop(notification.id, None)

    async def notifications(self, criteria: NotificationCriteria,
                            page: Page) -> PageOf[Notification]:
        found = [r for r in sorted(self.records.values(), key=lambda r: r.created_at,
                                   reverse=True)
                 if (criteria.customer_id is None or r.customer_id == criteria.customer_id)
                 and (criteria.kind is None or r.kind == criteria.kind)
                 and (criteria.status is None or r.status == criteria.status)]
        return PageOf(items=found[page.offset:page.offset + page.limit], total=len(found),
                      limit=page.limit, offset=page.offset)

    def of_kind(self, kind: NotificationKind) -> list[Notification]:
        return [r for r in self.records.values() if r.kind == kind]


class PlainTemplates:
    """Renders what the tests check: the kind, the recipient's name and every value given."""

    def render(self, kind: NotificationKind, context: Mapping[str, Any]) -> RenderedEmail:
        subject = f"{kind.value} for {context['name']}"
        body = ", ".join(f"{key}={value}" for key, value in sorted(context.items()))
        return RenderedEmail(subject=subject, text=body, html=f"<p>{body}</p>")


class RecordingMailer:
    """Keeps what it sent; `refuse` fails an address for good, `flaky` fails it N times."""

    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []
        self.refused: set[str] = set()
        self.flaky: dict[str, int] = {}
        self.attempts = 0

    async def send(self, email: OutgoingEmail) -> None:
        self.attempts += 1
        if email.to in self.refused:
            raise MailDeliveryError(f"550 no such mailbox {email.to}", permanent=True)
        if self.flaky.get(email.to, 0) > 0:
            self.flaky[email.to] -= 1
            raise MailDeliveryError("connection refused", permanent=False)
        self.sent.append(email)

    def sent_to(self, address: str) -> list[OutgoingEmail]:
        return [email for email in self.sent if email.to == address]


class FakeRecipients:
    def __init__(self) -> None:
        self.customers: dict[uuid.UUID, Recipient] = {}
        self.admin_list: list[Recipient] = []

    def add(self, email: str, name: str, *, admin: bool = False) -> Recipient:
        recipient = Recipient(email=email, name=name, customer_id=uuid.uuid4())
        assert recipient.customer_id is not None
        self.customers[recipient.customer_id] = recipient
        if admin:
            self.admin_list.append(recipient)
        return recipient

    async def customer(self, customer_id: uuid.UUID) -> Recipient | None:
        return self.customers.get(customer_id)

    async def admins(self) -> list[Recipient]:
        return list(self.admin_list)


class FakeOrders:
    def __init__(self) -> None:
        self.views: dict[uuid.UUID, OrderView] = {}

    def add(self, customer: Recipient, *, payment: str = "captured") -> OrderView:
        assert customer.customer_id is not None
        line = OrderLineView(product_id=uuid.uuid4(), product_name="Trail <Runner>",
                             unit_price=Decimal("19.99"), quantity=2,
                             line_total=Decimal("39.98"))
        view = OrderView(id=uuid.uuid4(), customer_id=customer.customer_id, status="Paid",
                         lines=[line], total=Decimal("39.98"), currency="EUR",
                         shipping_address=None, payment=PaymentView(status=payment,
                                                                    reference="ch_1"),
                         created_at=T0, updated_at=T0)
        self.views[view.id] = view
        return view

    async def order(self, order_id: uuid.UUID) -> OrderView | None:
        return self.views.get(order_id)

    async def orders(self, criteria: Any, page: Page) -> PageOf[OrderView]:
        raise NotImplementedError("the notifications context never lists orders")


class FakeProducts:
    def __init__(self) -> None:
        self.views: dict[uuid.UUID, ProductView] = {}

    def add(self, name: str) -> ProductView:
        view = ProductView(id=uuid.uuid4(), name=name, description="", price=Decimal("5.00"),
                           currency="USD", category_id=uuid.uuid4(), stock=10, sku=None,
                           created_at=T0, updated_at=T0, product_version=1, stock_version=1)
        self.views[view.id] = view
        return view

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        return self.views.get(product_id)
