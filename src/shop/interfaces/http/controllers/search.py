"""`/api/v1/products/search` (public) and `/api/v1/products/category-suggestions` (admin).

A static segment beside `ProductController`'s `/{product_id:uuid}`: the uuid
converter never matches `search`, and Litestar routes static segments first.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter

from shop.application.ai.queries import DEFAULT_SEARCH_LIMIT, SearchProducts
from shop.application.ai.views import SearchMode
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.controllers.products import PriceFilter
from shop.interfaces.http.dependencies import Bus
from shop.interfaces.http.dto.ai import (
    CategorySuggestionRequest,
    CategorySuggestionsResponse,
    SearchResponse,
)
from shop.interfaces.http.dto.common import money_amount
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

MAX_QUERY_LENGTH = 200
MAX_SEARCH_LIMIT = 100
MAX_SUGGESTIONS = 20
AI_OFF = "The AI features are switched off on this server (`SHOP_AI_ENABLED=false`)."


class CategorySuggestionController(Controller):
    path = "/api/v1/products/category-suggestions"
    tags = ["search and AI"]

    @post(
        "/",
        dto=StrictJSON[CategorySuggestionRequest],
        guards=[admin_only],
        security=SECURED,
        status_code=200,
        summary="Suggest categories for a new product",
        description=(
            "The existing categories that best fit a product with this name and description, "
            "best first: each category is profiled by the embedding of its path and the mean "
            "embedding of the products already in it."
        ),
        responses=error_responses({400: "`name` missing or empty, an unknown field.",
                                   503: AI_OFF}),
    )
    async def suggest_categories(
        self,
        data: JSONBody[CategorySuggestionRequest],
        bus: Bus,
        limit: Annotated[int, Parameter(ge=1, le=MAX_SUGGESTIONS,
                                        description="Suggestions, 1..20.")] = 5,
    ) -> CategorySuggestionsResponse:
        return CategorySuggestionsResponse.from_suggestions(await bus.ask(data.to_query(limit)))


class SearchController(Controller):
    path = "/api/v1/products/search"
    tags = ["search and AI"]

    @get(
        "/",
        summary="Search products",
        description=(
            "Ranked by relevance to `q`. `keyword`: the database's full-text ranking (bm25 on "
            "SQLite, ts_rank on PostgreSQL). `semantic`: cosine similarity of sentence "
            "embeddings, so \"sofa\" finds couches. `hybrid` (default): both, merged by "
            "reciprocal-rank fusion. Deleted products never appear. Filters combine; "
            "`category_id` includes its subcategories."
        ),
        responses=error_responses({400: "`q` missing or empty, a bad `mode`, `limit` or price.",
                                   503: AI_OFF}),
    )
    async def search_products(
        self,
        bus: Bus,
        q: Annotated[str, Parameter(min_length=1, max_length=MAX_QUERY_LENGTH,
                                    description="What the shopper typed.")],
        limit: Annotated[int, Parameter(ge=1, le=MAX_SEARCH_LIMIT,
                                        description="Results, 1..100.")] = DEFAULT_SEARCH_LIMIT,
        mode: Annotated[SearchMode, Parameter(description="How to rank.")] = SearchMode.HYBRID,
        category_id: Annotated[
            uuid.UUID | None,
            Parameter(description="Only products in this category or any of its subcategories."),
        ] = None,
        min_price: PriceFilter = None,
        max_price: PriceFilter = None,
    ) -> SearchResponse:
        query = SearchProducts(q=q, limit=limit, mode=mode, category_id=category_id,
                               min_price=money_amount(min_price),
                               max_price=money_amount(max_price))
        return SearchResponse.from_results(await bus.ask(query))
