"""The notification records: every email the shop sent or tried to send, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from shop.application.notifications.ports import NotificationCriteria
from shop.application.notifications.queries import ListNotifications
from shop.domain.notifications.notification import NotificationKind, NotificationStatus
from shop.interfaces.http.auth import SECURED, CurrentPrincipal, admin_only, authenticated
from shop.interfaces.http.dependencies import Listing
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.notifications import Kind, NotificationResponse, Status
from shop.interfaces.http.problems import error_responses

UNAUTHENTICATED = "No valid access token."
RECORD = ("A record is `{id, kind, recipient, customer_id, subject, status, attempts, event_id, "
          "created_at, sent_at, error}`; `status` is `pending` while it is being sent (and "
          "retried), `sent`, or `failed` with a readable `error`.")


class NotificationController(Controller):
    path = "/api/v1"
    tags = ["notifications"]
    security = SECURED

    @get("/notifications", guards=[admin_only], summary="List notifications",
         description=f"Every customer's and admin's. Newest first. {RECORD}",
         responses=error_responses({400: "A filter is not one of its allowed values.",
                                    401: UNAUTHENTICATED, 403: "Admins only."}))
    async def list_notifications(
        self, listing: Listing,
        customer_id: Annotated[uuid.UUID | None,
                               QueryParameter(description="Only this customer's.")] = None,
        kind: Annotated[Kind | None, QueryParameter(description="Only this kind.")] = None,
        status: Annotated[Status | None, QueryParameter(description="Only this status.")] = None,
    ) -> PageResponse[NotificationResponse]:
        criteria = NotificationCriteria(
            customer_id=customer_id,
            kind=NotificationKind(kind) if kind else None,
            status=NotificationStatus(status) if status else None,
        )
        return page_response(
            await listing.bus.ask(ListNotifications(criteria=criteria, page=listing.page)),
            NotificationResponse.of)

    @get("/customers/me/notifications", guards=[authenticated], summary="My notifications",
         description=f"The emails sent to the caller, newest first. {RECORD}",
         responses=error_responses({401: UNAUTHENTICATED}))
    async def my_notifications(self, listing: Listing,
                               principal: CurrentPrincipal) -> PageResponse[NotificationResponse]:
        criteria = NotificationCriteria(customer_id=principal.customer_id)
        return page_response(
            await listing.bus.ask(ListNotifications(criteria=criteria, page=listing.page)),
            NotificationResponse.of)
