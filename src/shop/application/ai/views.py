"""What the AI queries answer: products (and categories) with a score, best first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shop.application.catalog.views import CategoryView, ProductView


class SearchMode(StrEnum):
    KEYWORD = "keyword"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class ScoredProduct:
    product: ProductView
    score: float
    """Higher is better; its scale depends on the mode (bm25, cosine, fused rank)."""


@dataclass(frozen=True)
class SearchResults:
    """Best first; `mode` echoes the ranking that produced them (hybrid by default)."""

    items: list[ScoredProduct]
    mode: SearchMode


@dataclass(frozen=True)
class CategorySuggestion:
    category: CategoryView
    score: float
    """Cosine similarity of the new product to the category (its path and its products)."""


class Reason(StrEnum):
    BOUGHT_TOGETHER = "bought_together"
    SIMILAR = "similar"


@dataclass(frozen=True)
class Recommendation:
    product: ProductView
    score: float
    """`bought_together`: lift (>1: bought together more often than chance); `similar`:
    cosine similarity. Bought-together items always come first."""
    reason: Reason


@dataclass(frozen=True)
class StockoutForecast:
    product_id: uuid.UUID
    name: str
    stock: int
    daily_demand: float
    days_until_stockout: float | None
    """None when no demand is expected: it does not run out."""
    stockout_date: date | None
    reorder_quantity: int
    method: str
