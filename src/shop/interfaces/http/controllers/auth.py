"""`/api/v1/auth`: register, log in, rotate tokens, log out, reset a forgotten password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from shop.interfaces.http.auth import SECURED, CurrentPrincipal, authenticated
from shop.interfaces.http.dependencies import Bus
from shop.interfaces.http.dto.customers import (
    AcceptedResponse,
    CustomerResponse,
    LogoutRequest,
    PasswordResetConfirmRequest,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
)
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

BAD_REQUEST = "The body breaks the schema (unknown fields such as `role` are refused)."
BAD_LOGIN = "Unknown email or wrong password: the same answer for both."
THROTTLED = "Too many failed logins for this account or client; see `Retry-After`."
RESET_ACCEPTED = "If an account has this email, a reset token valid for 30 minutes was sent to it."


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer address the throttles count by (a proxy in front must pass the real one)."""
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/register",
        dto=StrictJSON[RegisterRequest],
        summary="Register a customer",
        description="Always makes a `customer`. The email is compared case-insensitively.",
        responses=error_responses({400: BAD_REQUEST, 409: "The email is taken.",
                                   422: "The email or password breaks a rule."}),
    )
    async def register(self, data: JSONBody[RegisterRequest], bus: Bus) -> CustomerResponse:
        return CustomerResponse.from_view(await bus.handle(data.to_command()))

    @post(
        "/token",
        dto=StrictJSON[TokenRequest],
        status_code=200,
        summary="Log in",
        description="Exchange email and password for an access token (JWT, short-lived) and a "
        "refresh token (opaque, single use).",
        responses=error_responses({400: BAD_REQUEST, 401: BAD_LOGIN, 429: THROTTLED}),
    )
    async def issue_tokens(self, data: JSONBody[TokenRequest], bus: Bus,
                           request: Request[Any, Any, Any]) -> TokenResponse:
        return TokenResponse.from_pair(await bus.handle(data.to_command(client_address(request))))

    @post(
        "/refresh",
        dto=StrictJSON[RefreshRequest],
        status_code=200,
        summary="Rotate tokens",
        description="Spends the refresh token and returns a new pair. Presenting a spent token "
        "again answers 401 and revokes every token of its login.",
        responses=error_responses({400: BAD_REQUEST,
                                   401: "Unknown, expired, revoked or already used token."}),
    )
    async def refresh_tokens(self, data: JSONBody[RefreshRequest], bus: Bus) -> TokenResponse:
        return TokenResponse.from_pair(await bus.handle(data.to_command()))

    @post(
        "/logout",
        dto=StrictJSON[LogoutRequest],
        status_code=204,
        guards=[authenticated],
        security=SECURED,
        summary="Log out",
        description="Revokes the refresh token's whole family (this login, every rotation of "
        "it). Idempotent: an unknown or already revoked token answers 204 too. The access "
        "token lives on until it expires (`expires_in`); discard it.",
        responses=error_responses({400: BAD_REQUEST, 401: "No valid access token."}),
    )
    async def logout(self, data: JSONBody[LogoutRequest], bus: Bus,
                     principal: CurrentPrincipal) -> None:
        await bus.handle(data.to_command(principal.customer_id))

    @post(
        "/password-reset",
        dto=StrictJSON[PasswordResetRequest],
        status_code=202,
        summary="Ask for a password reset email",
        description="Always 202, whether or not an account has this email. An existing, "
        "enabled account is emailed a single-use token valid for 30 minutes (a newer request "
        "voids the older token). Throttled like sign-in, per email and per client.",
        responses=error_responses({400: BAD_REQUEST, 429: THROTTLED}),
    )
    async def request_password_reset(self, data: JSONBody[PasswordResetRequest], bus: Bus,
                                     request: Request[Any, Any, Any]) -> AcceptedResponse:
        await bus.handle(data.to_command(client_address(request)))
        return AcceptedResponse(detail=RESET_ACCEPTED)

    @post(
        "/password-reset/confirm",
        dto=StrictJSON[PasswordResetConfirmRequest],
        status_code=204,
        summary="Set a new password with a reset token",
        description="The token works once. Every refresh token of the account is revoked "
        "(every device signs in again).",
        responses=error_responses({
            400: BAD_REQUEST,
            422: "The token is invalid, expired or already used, or the new password breaks "
                 "a rule; `errors` names which.",
        }),
    )
    async def confirm_password_reset(self, data: JSONBody[PasswordResetConfirmRequest],
                                     bus: Bus) -> None:
        await bus.handle(data.to_command())
