"""Constrained field types shared by the request bodies, so each limit is stated once.

The limits mirror the domain's own (which stays the authority and re-checks
them); stating them here rejects bad input with a 400 before any use case
runs and documents them in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Final, TypeVar

import msgspec

from shop.application.messages import UNSET as APP_UNSET
from shop.application.messages import Unset as AppUnset
from shop.domain.catalog.names import DESCRIPTION_MAX, NAME_MAX, SKU_MAX
from shop.domain.inventory.stock import MAX_STOCK

T = TypeVar("T")

PRICE_PATTERN: Final = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
"""A non-negative decimal string; ASCII digits only (`\\d` would admit other scripts' digits)."""

Name = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=NAME_MAX, examples=["Running shoes"]),
]
Description = Annotated[
    str,
    msgspec.Meta(max_length=DESCRIPTION_MAX, description="Free text shown on the product page."),
]
Sku = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=SKU_MAX, examples=["SHOE-RUN-42"],
        description="Stock keeping unit, unique across the catalog.",
    ),
]
Price = Annotated[
    str,
    msgspec.Meta(
        pattern=PRICE_PATTERN, examples=["19.90"],
        description="A decimal string with at most two fraction digits; never a JSON number.",
    ),
]
Currency = Annotated[
    str,
    msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code."),
]
StockLevel = Annotated[
    int,
    msgspec.Meta(ge=0, le=MAX_STOCK, examples=[25], description="Units on hand."),
]


def unset_to_app(value: T | msgspec.UnsetType) -> T | AppUnset:
    """Map msgspec's 'field absent' marker to the application's, keeping explicit nulls."""
    if isinstance(value, msgspec.UnsetType):
        return APP_UNSET
    return value
