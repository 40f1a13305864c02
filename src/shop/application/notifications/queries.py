"""Notification queries: the records of what was sent, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop.application.messages import Query
from shop.application.notifications.ports import NotificationCriteria
from shop.application.paging import Page, PageOf
from shop.domain.notifications.notification import Notification


@dataclass(frozen=True, kw_only=True)
class ListNotifications(Query[PageOf[Notification]]):
    """Admins: any filter. A customer's own list is this with their id as `customer_id`."""

    criteria: NotificationCriteria = field(default_factory=NotificationCriteria)
    page: Page = field(default_factory=Page)
