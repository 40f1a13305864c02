"""Who is calling: the bearer token turned into a Principal, and the role guards.

Every route that needs a caller declares a guard (`authenticated` or
`admin_only`); handlers that need the caller's identity take `principal`.
A missing, malformed, expired or forged token answers 401; a valid token
without the needed role answers 403.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from shop.application.customers.views import Principal
from shop.bootstrap import ShopRuntime
from shop.domain.shared.errors import Forbidden, Unauthenticated

BEARER_SCHEME: Final = "BearerToken"
"""The OpenAPI security scheme name of the access token."""

SECURED: Final[list[dict[str, list[str]]]] = [{BEARER_SCHEME: []}]
"""`security=SECURED` on a route documents that it needs the token."""

_STATE_KEY: Final = "shop_principal"


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


def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    principal_of(connection)


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not principal_of(connection).is_admin:
        raise Forbidden("this needs the admin role")


def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return principal_of(request)


CurrentPrincipal: TypeAlias = NamedDependency[Principal]
"""The calling principal, provided by `provide_principal` as `principal`."""
