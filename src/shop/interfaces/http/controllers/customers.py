"""`/api/v1/customers`: the caller's own profile and password; the admin's list and switch."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from shop.application.customers.queries import GetCustomer, ListCustomers
from shop.interfaces.http.auth import SECURED, CurrentPrincipal, admin_only, authenticated
from shop.interfaces.http.dependencies import Bus, Listing, ResourceId
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.customers import (
    ChangePasswordRequest,
    CustomerResponse,
    CustomerStatusRequest,
    UpdateProfileRequest,
)
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
    async def list_customers(self, listing: Listing) -> PageResponse[CustomerResponse]:
        customers = await listing.bus.ask(ListCustomers(page=listing.page))
        return page_response(customers, CustomerResponse.from_view)

    @post(
        "/me/password",
        guards=[authenticated],
        dto=StrictJSON[ChangePasswordRequest],
        status_code=204,
        summary="Change my password",
        description="Needs the current password. Every refresh token of the account is "
        "revoked: other devices must sign in again. Wrong current passwords are throttled "
        "like sign-in.",
        responses=error_responses({
            400: "The body breaks the schema.",
            401: "No valid access token, or the current password is wrong.",
            422: "The new password breaks a rule (8 to 128 characters).",
            429: "Too many wrong current passwords; see `Retry-After`.",
        }),
    )
    async def change_password(self, data: JSONBody[ChangePasswordRequest], bus: Bus,
                              principal: CurrentPrincipal) -> None:
        await bus.handle(data.to_command(principal.customer_id))

    @patch(
        "/{customer_id:uuid}",
        guards=[admin_only],
        dto=StrictJSON[CustomerStatusRequest],
        summary="Disable or enable a customer",
        description="`{\"disabled\": true}`: the account cannot sign in, its refresh tokens are "
        "revoked at once and its access tokens (and open order feeds) stop working within "
        "seconds. An admin cannot disable their own account.",
        responses=error_responses({
            400: "The body breaks the schema.", 401: UNAUTHENTICATED, 403: "Admins only.",
            404: "No such customer.", 409: "An admin cannot disable their own account.",
        }),
    )
    async def set_status(self, customer_id: ResourceId, data: JSONBody[CustomerStatusRequest],
                         bus: Bus, principal: CurrentPrincipal) -> CustomerResponse:
        return CustomerResponse.from_view(
            await bus.handle(data.to_command(customer_id, principal.customer_id)))
