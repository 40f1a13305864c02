"""Bodies of the search and AI routes."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from shop.application.ai.queries import SuggestCategories
from shop.application.ai.views import (
    CategorySuggestion,
    Recommendation,
    SearchResults,
    StockoutForecast,
)
from shop.interfaces.http.dto.categories import CategoryResponse
from shop.interfaces.http.dto.fields import Description, Name
from shop.interfaces.http.dto.products import ProductResponse


class ScoredProductResponse(msgspec.Struct, kw_only=True):
    product: ProductResponse
    score: float
    """Higher is better; comparable only within one answer (bm25, cosine or fused rank)."""


class SearchResponse(msgspec.Struct, kw_only=True):
    items: list[ScoredProductResponse]
    mode: str
    """`keyword`, `semantic` or `hybrid`: how `items` were ranked."""

    @classmethod
    def from_results(cls, results: SearchResults) -> SearchResponse:
        return cls(
            items=[ScoredProductResponse(product=ProductResponse.from_view(item.product),
                                         score=round(item.score, 6))
                   for item in results.items],
            mode=results.mode.value,
        )


class CategorySuggestionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A product not created yet: where should it go?"""

    name: Name
    description: Description = ""

    def to_query(self, limit: int) -> SuggestCategories:
        return SuggestCategories(name=self.name, description=self.description, limit=limit)


class CategorySuggestionResponse(msgspec.Struct, kw_only=True):
    category: CategoryResponse
    score: float
    """Cosine similarity of the product to the category's profile, -1..1, higher is better."""


class CategorySuggestionsResponse(msgspec.Struct, kw_only=True):
    items: list[CategorySuggestionResponse]

    @classmethod
    def from_suggestions(cls, suggestions: list[CategorySuggestion]) -> (
            CategorySuggestionsResponse):
        return cls(items=[CategorySuggestionResponse(
            category=CategoryResponse.from_view(s.category), score=round(s.score, 6))
            for s in suggestions])


class RecommendationResponse(msgspec.Struct, kw_only=True):
    product: ProductResponse
    score: float
    """`bought_together`: lift (above 1: bought together more often than chance);
    `similar`: cosine similarity. Bought-together items come first."""
    reason: str
    """`bought_together` or `similar`."""


class RecommendationsResponse(msgspec.Struct, kw_only=True):
    items: list[RecommendationResponse]

    @classmethod
    def from_recommendations(cls, recommendations: list[Recommendation]) -> (
            RecommendationsResponse):
        return cls(items=[RecommendationResponse(
            product=ProductResponse.from_view(r.product), score=round(r.score, 6),
            reason=r.reason.value) for r in recommendations])


class StockoutForecastResponse(msgspec.Struct, kw_only=True):
    product_id: uuid.UUID
    name: str
    stock: int
    daily_demand: float
    """Expected units per day."""
    days_until_stockout: float | None
    """`null`: no demand expected, it does not run out."""
    stockout_date: date | None
    reorder_quantity: int
    """Units to order now to cover the horizon at the service level (0: enough on hand)."""
    method: str
    """`moving_average` (dense demand), `sba` (intermittent), `tsb` (intermittent and gone
    quiet), or `no_demand`."""


class StockoutForecastsResponse(msgspec.Struct, kw_only=True):
    items: list[StockoutForecastResponse]

    @classmethod
    def from_forecasts(cls, forecasts: list[StockoutForecast]) -> StockoutForecastsResponse:
        return cls(items=[StockoutForecastResponse(
            product_id=f.product_id, name=f.name, stock=f.stock, daily_demand=f.daily_demand,
            days_until_stockout=f.days_until_stockout, stockout_date=f.stockout_date,
            reorder_quantity=f.reorder_quantity, method=f.method) for f in forecasts])
