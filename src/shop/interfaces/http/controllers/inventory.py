"""`/api/v1/inventory`: stock levels; every change goes through the same path and event."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from shop.application.inventory.queries import GetStock
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.dependencies import Bus, ResourceId
from shop.interfaces.http.dto.orders import AdjustmentRequest, SetStockRequest, StockResponse
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

NO_SUCH_PRODUCT = "No product has this id (or it was deleted)."
ADMIN_ONLY = {401: "No valid access token.", 403: "Admins only."}


class InventoryController(Controller):
    path = "/api/v1/inventory"
    tags = ["inventory"]

    @get("/{product_id:uuid}", summary="Stock of a product",
         responses=error_responses({404: NO_SUCH_PRODUCT}))
    async def get_stock(self, product_id: ResourceId, bus: Bus) -> StockResponse:
        return StockResponse.from_view(await bus.ask(GetStock(product_id=product_id)))

    @post(
        "/{product_id:uuid}/adjustments",
        dto=StrictJSON[AdjustmentRequest],
        status_code=200,
        guards=[admin_only],
        security=SECURED,
        summary="Adjust stock",
        description="Moves stock by a non-zero `delta`; never below zero.",
        responses=error_responses({**ADMIN_ONLY, 400: "The body breaks the schema.",
                                   404: NO_SUCH_PRODUCT, 409: "Stock would go below zero.",
                                   422: "A zero delta or a blank reason."}),
    )
    async def adjust_stock(self, product_id: ResourceId, data: JSONBody[AdjustmentRequest],
                           bus: Bus) -> StockResponse:
        return StockResponse.from_view(await bus.handle(data.to_command(product_id)))

    @put(
        "/{product_id:uuid}",
        guards=[admin_only],
        dto=StrictJSON[SetStockRequest],
        security=SECURED,
        summary="Set stock",
        description="Sets the level outright (e.g. after a count).",
        responses=error_responses({**ADMIN_ONLY, 400: "The body breaks the schema.",
                                   404: NO_SUCH_PRODUCT}),
    )
    async def set_stock(self, product_id: ResourceId, data: JSONBody[SetStockRequest],
                        bus: Bus) -> StockResponse:
        return StockResponse.from_view(await bus.handle(data.to_command(product_id)))
