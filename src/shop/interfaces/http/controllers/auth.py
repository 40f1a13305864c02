"""`/api/v1/auth`: register, log in, rotate tokens."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from shop.interfaces.http.dependencies import Bus
from shop.interfaces.http.dto.customers import (
    CustomerResponse,
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
        client = request.client.host if request.client else "unknown"
        return TokenResponse.from_pair(await bus.handle(data.to_command(client)))

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
