"""What controllers receive besides the request body: injected services, paging, path ids.

The aliases carry Litestar's explicit markers (`NamedDependency`, `FromPath`),
which Litestar 2.23+ wants instead of inferring a parameter's source from its
name; keeping them here keeps the handler signatures short.
"""

from __future__ import annotations

import uuid
from typing import Annotated, TypeAlias

from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from shop.application.messagebus import MessageBus
from shop.application.paging import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, Page
from shop.bootstrap import ShopRuntime

Bus: TypeAlias = NamedDependency[MessageBus]
"""The runtime's message bus, provided by the app as `bus`."""
Runtime: TypeAlias = NamedDependency[ShopRuntime]
"""The runtime itself (for readiness), provided by the app as `runtime`."""
Paging: TypeAlias = NamedDependency[Page]
"""`?limit=&offset=` of a list, provided by `provide_page` as `page`."""
ResourceId: TypeAlias = FromPath[uuid.UUID]
"""An id in the path; a value that is not a UUID matches no route (404)."""


def provide_page(
    limit: Annotated[
        int,
        Parameter(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1..{MAX_PAGE_SIZE}."),
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[
        int, Parameter(ge=0, le=MAX_OFFSET,
                       description="Items to skip before the first one returned (0..2^53-1).")
    ] = 0,
) -> Page:
    """`?limit=&offset=` of every list, checked at the edge so a bad value is a 400, not a 500."""
    return Page(limit=limit, offset=offset)
