"""`/api/v1/orders`: place, read, ship and cancel orders."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from shop.application.ordering.commands import CancelOrder, ShipOrder
from shop.application.ordering.queries import GetOrder, ListOrders
from shop.interfaces.http.auth import (
    SECURED,
    CurrentPrincipal,
    admin_only,
    authenticated,
    principal_of,
)
from shop.interfaces.http.dependencies import Bus, Listing, ResourceId, bus_of
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.orders import OrderResponse, PlaceOrderRequest
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

UNAUTHENTICATED = "No valid access token."
NO_SUCH_ORDER = "No such order, or it belongs to another customer."
WRONG_STATUS = "The order's status does not allow this."

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=1, max_length=255, required=False,
                    description="Retry-safe placement: the same key and body answer the same "
                                "order again; the same key with another body answers 409."),
]
StatusFilter = Annotated[
    Literal["Pending", "Paid", "Shipped", "Cancelled"] | None,
    QueryParameter(description="Admins: only orders in this status."),
]


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]
    security = SECURED
    guards = [authenticated]

    @post(
        "/",
        summary="Place an order",
        dto=StrictJSON[PlaceOrderRequest],
        description="Reserves every line's stock atomically, charges the card, and answers the "
        "order `Paid`. Prices come from the catalog, never from the client.",
        responses=error_responses({
            400: "The body breaks the schema (quantity 1..1000, at most 100 lines).",
            401: UNAUTHENTICATED,
            402: "The card was declined; the order is kept `Cancelled`, stock returned.",
            409: "Not enough stock for a line (nothing reserved), or an Idempotency-Key reused "
                 "with another body.",
            422: "A product is unknown or deleted, or a line breaks a rule.",
            502: "The payment provider failed; stock returned, the order `Cancelled`.",
        }),
    )
    async def place_order(self, data: JSONBody[PlaceOrderRequest],
                          request: Request[Any, Any, Any],
                          idempotency_key: IdempotencyKey = None) -> OrderResponse:
        # No dependencies (see `bus_of`): `bus` + `principal` would be resolved in an
        # anyio task group per request. The guard has already read the principal.
        command = data.to_command(principal_of(request).customer_id, idempotency_key)
        return OrderResponse.from_view(await bus_of(request).handle(command))

    @get("/", summary="List orders",
         description="Newest first. Customers see their own; admins all, with filters.",
         responses=error_responses({401: UNAUTHENTICATED}))
    async def list_orders(
        self, listing: Listing, principal: CurrentPrincipal,
        customer_id: Annotated[uuid.UUID | None,
                               QueryParameter(description="Admins: one customer's orders.")] = None,
        status: StatusFilter = None,
    ) -> PageResponse[OrderResponse]:
        query = ListOrders(principal=principal, customer_id=customer_id, status=status,
                           page=listing.page)
        return page_response(await listing.bus.ask(query), OrderResponse.from_view)

    @get("/{order_id:uuid}", summary="Get an order",
         responses=error_responses({401: UNAUTHENTICATED, 404: NO_SUCH_ORDER}))
    async def get_order(self, order_id: ResourceId, bus: Bus,
                        principal: CurrentPrincipal) -> OrderResponse:
        return OrderResponse.from_view(
            await bus.ask(GetOrder(order_id=order_id, principal=principal)))

    @post("/{order_id:uuid}/ship", status_code=200, guards=[admin_only],
          summary="Ship an order", description="`Paid` -> `Shipped`.",
          responses=error_responses({401: UNAUTHENTICATED, 403: "Admins only.",
                                     404: NO_SUCH_ORDER, 409: WRONG_STATUS}))
    async def ship_order(self, order_id: ResourceId, bus: Bus) -> OrderResponse:
        return OrderResponse.from_view(await bus.handle(ShipOrder(order_id=order_id)))

    @post(
        "/{order_id:uuid}/cancel",
        status_code=200,
        summary="Cancel an order",
        description="`Pending` or `Paid` -> `Cancelled`: stock returned, a paid order refunded.",
        responses=error_responses({401: UNAUTHENTICATED, 404: NO_SUCH_ORDER, 409: WRONG_STATUS,
                                   502: "The payment provider did not answer; nothing changed."}),
    )
    async def cancel_order(self, order_id: ResourceId, bus: Bus,
                           principal: CurrentPrincipal) -> OrderResponse:
        return OrderResponse.from_view(
            await bus.handle(CancelOrder(order_id=order_id, principal=principal)))
