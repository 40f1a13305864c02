"""`/api/v1/products`: what the shop sells.

Reads are open to anyone; every write needs an admin's access token.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter

from shop.application.catalog.commands import DeleteProduct
from shop.application.catalog.queries import GetProductById, ListProducts
from shop.application.catalog.views import ProductView
from shop.application.paging import PageOf
from shop.domain.catalog.names import NAME_MAX
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.dependencies import Bus, Listing, ResourceId, bus_of
from shop.interfaces.http.dto.common import PageResponse, money_amount, page_response
from shop.interfaces.http.dto.fields import PRICE_PATTERN
from shop.interfaces.http.dto.products import (
    CreateProductRequest,
    ProductResponse,
    UpdateProductRequest,
)
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.encoded_bodies import EncodedBodies
from shop.interfaces.http.problems import error_responses

BAD_REQUEST = (
    "The body or a parameter breaks the schema: unknown or read-only field, a price sent as a "
    "number or negative, negative stock, a bad limit."
)
NO_SUCH_PRODUCT = "No product has this id (or it was deleted)."
UNPROCESSABLE = "`category_id` names no existing category, or a value breaks a catalog rule."
DUPLICATE_SKU = "Another product already has this SKU."

PRODUCT_BODIES = EncodedBodies(ProductResponse.from_view)
"""Products served from the near cache are encoded once, not once per request."""
PRODUCT_PAGES: EncodedBodies[PageOf[ProductView], PageResponse[ProductResponse]] = EncodedBodies(
    lambda page: page_response(page, ProductResponse.from_view))
"""List pages served from the listings cache are encoded once, not once per request."""

PriceFilter = Annotated[
    str | None,
    Parameter(pattern=PRICE_PATTERN, description="Decimal string, e.g. `9.99`; bound included."),
]


class ProductController(Controller):
    path = "/api/v1/products"
    tags = ["products"]

    @post(
        "/",
        dto=StrictJSON[CreateProductRequest],
        guards=[admin_only],
        security=SECURED,
        summary="Create a product",
        description="With its initial stock; afterwards stock changes only through the inventory.",
        responses=error_responses({400: BAD_REQUEST, 409: DUPLICATE_SKU, 422: UNPROCESSABLE}),
    )
    async def create_product(
        self, data: JSONBody[CreateProductRequest], bus: Bus
    ) -> ProductResponse:
        return ProductResponse.from_view(await bus.handle(data.to_command()))

    @get(
        "/",
        summary="List products",
        description="Paged; filters combine. `category_id` includes its subcategories.",
        responses=error_responses({400: BAD_REQUEST}),
    )
    async def list_products(
        self,
        listing: Listing,
        category_id: Annotated[
            uuid.UUID | None,
            Parameter(description="Only products in this category or any of its subcategories."),
        ] = None,
        q: Annotated[
            str | None,
            Parameter(max_length=NAME_MAX, description="Name contains this, case-insensitive."),
        ] = None,
        min_price: PriceFilter = None,
        max_price: PriceFilter = None,
    ) -> Response[PageResponse[ProductResponse]]:
        query = ListProducts(
            page=listing.page,
            category_id=category_id,
            q=q,
            min_price=money_amount(min_price),
            max_price=money_amount(max_price),
        )
        return PRODUCT_PAGES.response(await listing.bus.ask(query))

    @get(
        "/{product_id:uuid}",
        summary="Get a product",
        description="Served from the cache; always reflects the client's own last write.",
        responses=error_responses({404: NO_SUCH_PRODUCT}),
    )
    async def get_product(self, product_id: ResourceId,
                          request: Request[Any, Any, Any]) -> Response[ProductResponse]:
        query = GetProductById(product_id=product_id)
        return PRODUCT_BODIES.response(await bus_of(request).ask(query))

    @patch(
        "/{product_id:uuid}",
        dto=StrictJSON[UpdateProductRequest],
        guards=[admin_only],
        security=SECURED,
        summary="Change a product",
        description="Any of name, description, price, currency, category_id, sku (`null` removes "
        "the SKU). Stock is not writable here.",
        responses=error_responses({
            400: BAD_REQUEST,
            404: NO_SUCH_PRODUCT,
            409: DUPLICATE_SKU,
            422: UNPROCESSABLE,
        }),
    )
    async def update_product(
        self, product_id: ResourceId, data: JSONBody[UpdateProductRequest], bus: Bus
    ) -> ProductResponse:
        return ProductResponse.from_view(await bus.handle(data.to_command(product_id)))

    @delete(
        "/{product_id:uuid}",
        guards=[admin_only],
        security=SECURED,
        summary="Delete a product",
        description="The product leaves the catalog; orders that hold it keep their lines.",
        responses=error_responses({404: NO_SUCH_PRODUCT}),
    )
    async def delete_product(self, product_id: ResourceId, bus: Bus) -> None:
        await bus.handle(DeleteProduct(product_id=product_id))
