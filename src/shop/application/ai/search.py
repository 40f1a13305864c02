"""`SearchProducts`: keyword, semantic or hybrid ranking of the live catalogue."""

from __future__ import annotations

import asyncio

from shop.application.ai.fusion import reciprocal_rank_fusion
from shop.application.ai.ports import (
    Embedder,
    KeywordIndex,
    ProductViews,
    ScoredId,
    SearchFilter,
    VectorIndex,
)
from shop.application.ai.queries import SearchProducts
from shop.application.ai.views import ScoredProduct, SearchMode, SearchResults
from shop.application.catalog.ports import CatalogReadModel
from shop.application.catalog.query_handlers import descendants_of

CANDIDATES_PER_RESULT = 3
MIN_CANDIDATES = 50
"""Each ranking contributes this many candidates: enough for fusion to find agreement, and
for the page to fill when some candidates were deleted since the index last heard of them."""


class SearchProductsHandler:
    def __init__(
        self,
        embedder: Embedder,
        vectors: VectorIndex,
        keywords: KeywordIndex,
        views: ProductViews,
        catalog: CatalogReadModel,
    ) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self._keywords = keywords
        self._views = views
        self._catalog = catalog

    async def __call__(self, query: SearchProducts) -> SearchResults:
        criteria = await self._criteria(query)
        candidates = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * query.limit)
        searches = []
        if query.mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
            searches.append(self._keywords.search(query.q, criteria, candidates))
        if query.mode in (SearchMode.SEMANTIC, SearchMode.HYBRID):
            searches.append(self._semantic(query.q, criteria, candidates))
        # Concurrently: the database ranks words while the model embeds the query.
        rankings = await asyncio.gather(*searches)
        ranked = rankings[0] if len(rankings) == 1 else reciprocal_rank_fusion(rankings)
        return SearchResults(items=await self._present(ranked, query.limit), mode=query.mode)

    async def _criteria(self, query: SearchProducts) -> SearchFilter:
        category_ids = None
        if query.category_id is not None:
            category_ids = descendants_of(query.category_id, await self._catalog.all_categories())
        return SearchFilter(category_ids=category_ids, min_price=query.min_price,
                            max_price=query.max_price)

    async def _semantic(self, text: str, criteria: SearchFilter, limit: int) -> list[ScoredId]:
        among = None if criteria.is_empty else await self._views.ids_matching(criteria)
        [vector] = await self._embedder.embed([text])
        return self._vectors.nearest(vector, limit, among=among)

    async def _present(self, ranked: list[ScoredId], limit: int) -> list[ScoredProduct]:
        """Only products still live now: a deleted one leaves the results at once.

        Views are read a page at a time, best first, so a search reads about `limit`
        products, more only when some of the best were deleted since they were indexed.
        """
        found: list[ScoredProduct] = []
        start = 0
        while len(found) < limit and start < len(ranked):
            page = ranked[start : start + limit - len(found)]
            views = await self._views.views(hit.product_id for hit in page)
            found += [ScoredProduct(views[hit.product_id], hit.score)
                      for hit in page if hit.product_id in views]
            start += len(page)
        return found
