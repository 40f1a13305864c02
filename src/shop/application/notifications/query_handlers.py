"""Answers notification queries from the read model."""

from __future__ import annotations

from shop.application.notifications.ports import NotificationReadModel
from shop.application.notifications.queries import ListNotifications
from shop.application.paging import PageOf
from shop.domain.notifications.notification import Notification


class ListNotificationsHandler:
    def __init__(self, read_model: NotificationReadModel) -> None:
        self._read = read_model

    async def __call__(self, query: ListNotifications) -> PageOf[Notification]:
        return await self._read.notifications(query.criteria, query.page)
