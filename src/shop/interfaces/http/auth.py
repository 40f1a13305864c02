"""Who is calling: the bearer token turned into a Principal, and the role guards.

Every route that needs a caller declares a guard (`authenticated` or
`admin_only`); handlers that need the caller's identity take `principal`.
A missing, malformed, expired or forged token answers 401, and so does the
token of an account an admin disabled (the guards ask `AccountStatus`, which
answers from a cache of SHOP_ACCOUNT_STATUS_CACHE_SECONDS); a valid token
without the needed role answers 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeAlias

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from shop.application.shared import Principal
from shop.bootstrap import ShopRuntime
from shop.domain.shared.errors import Forbidden, Unauthenticated

BEARER_SCHEME: Final = "BearerToken"
"""The OpenAPI security scheme name of the access token."""

SECURED: Final[list[dict[str, list[str]]]] = [{BEARER_SCHEME: []}]
"""`security=SECURED` on a route documents that it needs the token."""

_STATE_KEY: Final = "shop_principal"
ACCOUNT_DISABLED: Final = "this account is disabled; its tokens no longer work"


def principal_in(state: Mapping[str, Any]) -> Principal | None:
    """The principal a guard or handler of this request already decoded, if any.

    The access log reads it after the response: it never decodes a token itself,
    so public routes cost nothing and a bad token is never logged.
    """
    found = state.get(_STATE_KEY)
    return found if isinstance(found, Principal) else None


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Decode the bearer token once per request (guards and handlers share the result)."""
    cached = connection.state.get(_STATE_KEY)
    if isinstance(cached, Principal):
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send an access token: `Authorization: Bearer <token>`")
    runtime: ShopRuntime = connection.app.state.runtime
    principal = runtime.container.token_service().read_access(token.strip())
    connection.state[_STATE_KEY] = principal
    return principal


async def active_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller, if the token is valid and its account was not disabled since it was issued."""
    principal = principal_of(connection)
    runtime: ShopRuntime = connection.app.state.runtime
    if not await runtime.container.account_status().is_active(principal.customer_id):
        raise Unauthenticated(ACCOUNT_DISABLED)
    return principal


async def authenticated(connection: ASGIConnection[Any, Any, Any, Any],
                        _: BaseRouteHandler) -> None:
    await active_principal(connection)


async def admin_only(connection: ASGIConnection[Any, Any, Any, Any],
                     _: BaseRouteHandler) -> None:
    if not (await active_principal(connection)).is_admin:
        raise Forbidden("this needs the admin role")


def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return principal_of(request)


CurrentPrincipal: TypeAlias = NamedDependency[Principal]
"""The calling principal, provided by `provide_principal` as `principal`."""
