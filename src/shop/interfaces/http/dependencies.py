"""What controllers receive besides the request body: injected services, paging, path ids.

The aliases carry Litestar's explicit markers (`NamedDependency`, `FromPath`),
which Litestar 2.23+ wants instead of inferring a parameter's source from its
name; keeping them here keeps the handler signatures short.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from shop.application.messagebus import MessageBus
from shop.application.paging import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, Page
from shop.bootstrap import ShopRuntime

Bus: TypeAlias = NamedDependency[MessageBus]
"""The runtime's message bus, provided by the app as `bus`."""
Runtime: TypeAlias = NamedDependency[ShopRuntime]
"""The runtime itself (for readiness), provided by the app as `runtime`."""


@dataclass(frozen=True, slots=True)
class ListRequest:
    """What a list route needs, as one dependency: the bus and the page asked for.

    Litestar resolves independent dependencies of a handler in an anyio task group, a
    task each: for `bus` + `page`, about a third of a cached list page's time. One
    dependency is awaited directly.
    """

    bus: MessageBus
    page: Page


def bus_of(request: Request[Any, Any, Any]) -> MessageBus:
    """The runtime's bus from the app state, for a route that should resolve no dependency.

    Litestar enters a cleanup group and an exit stack for every request of a
    handler with any dependency; on the product read, served from memory,
    that was a quarter of what the read costs over `/health/live`. `request`
    is a reserved parameter, handed over as is (a `state` parameter would
    be copied into a new `State` per request).
    """
    runtime: ShopRuntime = request.app.state.runtime
    return runtime.bus


Listing: TypeAlias = NamedDependency[ListRequest]
"""The bus and `?limit=&offset=`, provided by `provide_listing` as `listing`."""
ResourceId: TypeAlias = FromPath[uuid.UUID]
"""An id in the path; a value that is not a UUID matches no route (404)."""


Limit: TypeAlias = Annotated[
    int, Parameter(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1..{MAX_PAGE_SIZE}.")]
Offset: TypeAlias = Annotated[
    int, Parameter(ge=0, le=MAX_OFFSET,
                   description="Items to skip before the first one returned (0..2^53-1).")]


def provide_listing(state: State, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
                    ) -> ListRequest:
    """`?limit=&offset=` of every list, checked at the edge so a bad value is a 400, not a
    500; the runtime's bus comes from the app state, not from a second dependency."""
    runtime: ShopRuntime = state.runtime
    return ListRequest(bus=runtime.bus, page=Page(limit=limit, offset=offset))
