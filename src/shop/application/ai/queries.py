"""The AI features' queries: each names what it returns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from shop.application.ai.views import (
    CategorySuggestion,
    Recommendation,
    SearchMode,
    SearchResults,
    StockoutForecast,
)
from shop.application.messages import Query

DEFAULT_SEARCH_LIMIT = 20


@dataclass(frozen=True, kw_only=True)
class SearchProducts(Query[SearchResults]):
    q: str
    limit: int = DEFAULT_SEARCH_LIMIT
    mode: SearchMode = SearchMode.HYBRID
    category_id: uuid.UUID | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class SuggestCategories(Query[list[CategorySuggestion]]):
    name: str
    description: str = ""
    limit: int = 5


DEFAULT_RECOMMENDATIONS = 10


@dataclass(frozen=True, kw_only=True)
class RecommendForProduct(Query[list[Recommendation]]):
    product_id: uuid.UUID
    limit: int = DEFAULT_RECOMMENDATIONS


@dataclass(frozen=True, kw_only=True)
class RecommendForCustomer(Query[list[Recommendation]]):
    customer_id: uuid.UUID
    limit: int = DEFAULT_RECOMMENDATIONS


@dataclass(frozen=True, kw_only=True)
class ForecastStockouts(Query[list[StockoutForecast]]):
    horizon_days: int = 30
    """The reorder quantity covers this many days of demand."""
    limit: int = 20
    service_level: float = 0.95
    """Probability that the reorder quantity covers the horizon's demand."""
