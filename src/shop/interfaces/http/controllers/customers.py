"""`/api/v1/customers`: the caller's own profile, and the admin's list of customers."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import JSONBody

from shop.application.customers.queries import GetCustomer, ListCustomers
from shop.interfaces.http.auth import SECURED, CurrentPrincipal, admin_only, authenticated
from shop.interfaces.http.dependencies import Bus, Paging
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.customers import CustomerResponse, UpdateProfileRequest
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

UNAUTHENTICATED = "No valid access token."


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]
    security = SECURED

    @get("/me", guards=[authenticated], summary="My profile",
         responses=error_responses({401: UNAUTHENTICATED}))
    async def me(self, bus: Bus, principal: CurrentPrincipal) -> CustomerResponse:
        return CustomerResponse.from_view(
            await bus.ask(GetCustomer(customer_id=principal.customer_id)))

    @patch(
        "/me",
        guards=[authenticated],
        dto=StrictJSON[UpdateProfileRequest],
        summary="Change my profile",
        description="Any of `full_name`, `phone`, `shipping_address`; `null` clears the last two.",
        responses=error_responses({400: "The body breaks the schema.", 401: UNAUTHENTICATED,
                                   422: "A value breaks a rule (e.g. unknown country code)."}),
    )
    async def update_me(self, data: JSONBody[UpdateProfileRequest], bus: Bus,
                        principal: CurrentPrincipal) -> CustomerResponse:
        return CustomerResponse.from_view(
            await bus.handle(data.to_command(principal.customer_id)))

    @get("/", guards=[admin_only], summary="List customers", description="Newest first.",
         responses=error_responses({401: UNAUTHENTICATED, 403: "Admins only."}))
    async def list_customers(self, bus: Bus, page: Paging) -> PageResponse[CustomerResponse]:
        return page_response(await bus.ask(ListCustomers(page=page)), CustomerResponse.from_view)
