"""Recommendations: bought together (by lift), topped up with similar products in stock.

Lift = P(A and B) / (P(A) P(B)) = together * orders / (orders with A * orders with B):
how much more often two products share a basket than chance would have them,
so a best seller that is in every basket does not drown everything (its lift
stays near 1). Out-of-stock and deleted products are never recommended.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from shop.application.ai.ports import ProductViews, ScoredId, VectorIndex
from shop.application.ai.purchases import CoPurchaseStore
from shop.application.ai.queries import RecommendForCustomer, RecommendForProduct
from shop.application.ai.views import Reason, Recommendation
from shop.domain.catalog.errors import ProductNotFound

CANDIDATE_FACTOR = 3
RECENT_PURCHASES = 20
"""A customer's recommendations start from their latest purchases (their current taste)."""


class _Recommender:
    def __init__(self, purchases: CoPurchaseStore, vectors: VectorIndex,
                 views: ProductViews) -> None:
        self._purchases = purchases
        self._vectors = vectors
        self._views = views

    async def _bought_with(self, anchors: list[uuid.UUID],
                           excluded: frozenset[uuid.UUID]) -> list[ScoredId]:
        """Products sharing baskets with the anchors, by lift (summed over the anchors)."""
        pairs = [pair for pair in await self._purchases.pairs_with(anchors)
                 if pair.other_id not in excluded]
        if not pairs:
            return []
        holding = await self._purchases.orders_holding(
            sorted({*anchors, *(pair.other_id for pair in pairs)}))
        total = await self._purchases.total_orders()
        lift: dict[uuid.UUID, float] = defaultdict(float)
        support: dict[uuid.UUID, int] = defaultdict(int)
        for pair in pairs:
            expected = holding.get(pair.product_id, 0) * holding.get(pair.other_id, 0)
            if expected:
                lift[pair.other_id] += pair.together * total / expected
                support[pair.other_id] += pair.together
        ranked = sorted(lift, key=lambda pid: (-lift[pid], -support[pid], str(pid)))
        return [ScoredId(pid, lift[pid]) for pid in ranked]

    async def _in_stock(self, ranked: Iterable[tuple[ScoredId, Reason]], limit: int,
                        ) -> list[Recommendation]:
        chosen = list(ranked)
        views = await self._views.views(hit.product_id for hit, _ in chosen)
        found: list[Recommendation] = []
        seen: set[uuid.UUID] = set()
        for hit, reason in chosen:
            view = views.get(hit.product_id)
            if view is None or view.stock <= 0 or view.id in seen:
                continue
            seen.add(view.id)
            found.append(Recommendation(view, hit.score, reason))
            if len(found) == limit:
                break
        return found

    async def _topped_up(self, together: list[ScoredId], similar_to: tuple[float, ...] | None,
                         excluded: frozenset[uuid.UUID], limit: int) -> list[Recommendation]:
        ranked = [(hit, Reason.BOUGHT_TOGETHER) for hit in together]
        if similar_to is not None:
            near = self._vectors.nearest(similar_to, CANDIDATE_FACTOR * limit + len(together),
                                         excluding=excluded)
            ranked += [(hit, Reason.SIMILAR) for hit in near]
        return await self._in_stock(ranked, limit)


class RecommendForProductHandler(_Recommender):
    async def __call__(self, query: RecommendForProduct) -> list[Recommendation]:
        if not await self._views.views([query.product_id]):
            raise ProductNotFound(query.product_id)
        excluded = frozenset([query.product_id])
        together = await self._bought_with([query.product_id], excluded)
        return await self._topped_up(together, self._vectors.vector_of(query.product_id),
                                     excluded, query.limit)


class RecommendForCustomerHandler(_Recommender):
    """From the customer's own purchases; never what they already bought.

    The catalogue marks no product as a consumable, so nothing bought is ever
    recommended again. A customer with no paid order gets an empty list.
    """

    async def __call__(self, query: RecommendForCustomer) -> list[Recommendation]:
        bought = await self._purchases.bought_by(query.customer_id)
        if not bought:
            return []
        excluded = frozenset(bought)
        anchors = bought[:RECENT_PURCHASES]
        together = await self._bought_with(anchors, excluded)
        return await self._topped_up(together, self._vectors.mean_of(anchors), excluded,
                                     query.limit)
