"""Reciprocal-rank fusion: agreement between rankings beats a single first place."""

from __future__ import annotations

import uuid

from shop.application.ai.fusion import reciprocal_rank_fusion
from shop.application.ai.ports import ScoredId

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def ranking(*ids: uuid.UUID) -> list[ScoredId]:
    return [ScoredId(pid, 100.0 - n) for n, pid in enumerate(ids)]


def test_a_product_second_in_both_lists_beats_one_first_in_a_single_list() -> None:
    fused = reciprocal_rank_fusion([ranking(A, B), ranking(C, B)])
    assert fused[0].product_id == B


def test_raw_scores_do_not_matter_only_ranks() -> None:
    small = [ScoredId(A, 0.001), ScoredId(B, 0.0005)]
    huge = [ScoredId(B, 9000.0), ScoredId(A, 10.0)]
    fused = reciprocal_rank_fusion([small, huge])
    assert fused[0].score == fused[1].score == 1 / 61 + 1 / 62


def test_a_single_ranking_keeps_its_order() -> None:
    assert [hit.product_id for hit in reciprocal_rank_fusion([ranking(C, A, B)])] == [C, A, B]
