"""Recommendations: for a product (anyone) and for the signed-in customer."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from shop.application.ai.queries import (
    DEFAULT_RECOMMENDATIONS,
    RecommendForCustomer,
    RecommendForProduct,
)
from shop.interfaces.http.auth import SECURED, CurrentPrincipal, authenticated
from shop.interfaces.http.controllers.search import AI_OFF
from shop.interfaces.http.dependencies import Bus, ResourceId
from shop.interfaces.http.dto.ai import RecommendationsResponse
from shop.interfaces.http.problems import error_responses

MAX_RECOMMENDATIONS = 50
Limit = Annotated[int, Parameter(ge=1, le=MAX_RECOMMENDATIONS,
                                 description="Recommendations, 1..50.")]


class ProductRecommendationController(Controller):
    path = "/api/v1/products/{product_id:uuid}/recommendations"
    tags = ["search and AI"]

    @get(
        "/",
        summary="Recommendations for a product",
        description=(
            "Products bought together with this one in paid orders, ranked by lift (how much "
            "more often than chance), then products similar to it; only products in stock."
        ),
        responses=error_responses({400: "A bad `limit`.", 404: "No product has this id.",
                                   503: AI_OFF}),
    )
    async def for_product(self, product_id: ResourceId, bus: Bus,
                          limit: Limit = DEFAULT_RECOMMENDATIONS) -> RecommendationsResponse:
        recommendations = await bus.ask(RecommendForProduct(product_id=product_id, limit=limit))
        return RecommendationsResponse.from_recommendations(recommendations)


class CustomerRecommendationController(Controller):
    path = "/api/v1/customers/me/recommendations"
    tags = ["search and AI"]
    security = SECURED

    @get(
        "/",
        guards=[authenticated],
        summary="Recommendations for me",
        description=(
            "From my own paid orders: what others bought with my purchases, then products "
            "similar to them. Never something I already bought, never out of stock; empty "
            "until my first paid order."
        ),
        responses=error_responses({400: "A bad `limit`.", 401: "No valid access token.",
                                   503: AI_OFF}),
    )
    async def for_me(self, bus: Bus, principal: CurrentPrincipal,
                     limit: Limit = DEFAULT_RECOMMENDATIONS) -> RecommendationsResponse:
        recommendations = await bus.ask(
            RecommendForCustomer(customer_id=principal.customer_id, limit=limit))
        return RecommendationsResponse.from_recommendations(recommendations)
