"""Reciprocal-rank fusion: how hybrid search merges the keyword and the semantic ranking.

bm25 scores and cosine similarities live on unrelated scales that move from
query to query (bm25 grows with rare terms, cosine bunches up near 0.3-0.6),
so a weighted sum of raw scores needs per-catalogue tuning and still breaks
on odd queries. RRF uses only ranks: a product ranked high by either list
rises, one ranked high by both rises most, and nothing needs tuning. k = 60
is the constant of Cormack, Clarke and Buettcher (SIGIR 2009), who found it
robust across collections; bench/search_quality.py measures it here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from shop.application.ai.ports import ScoredId

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[ScoredId]], k: int = RRF_K
) -> list[ScoredId]:
    """Each product scores the sum of 1 / (k + rank) over the lists it appears in; best first."""
    fused: dict[uuid.UUID, float] = defaultdict(float)
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.product_id] += 1.0 / (k + rank)
    order = sorted(fused.items(), key=lambda item: (-item[1], str(item[0])))
    return [ScoredId(product_id, score) for product_id, score in order]
