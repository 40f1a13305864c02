"""NumpyVectorIndex: exact nearest neighbours, the same as a brute-force loop."""

from __future__ import annotations

import math
import random
import uuid

from shop.infrastructure.ai.numpy_index import INITIAL_CAPACITY, NumpyVectorIndex


def unit(values: list[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in values))
    return tuple(v / norm for v in values)


def random_vectors(count: int, seed: int = 7) -> dict[uuid.UUID, tuple[float, ...]]:
    rng = random.Random(seed)
    return {uuid.UUID(int=rng.getrandbits(128)): unit([rng.gauss(0, 1) for _ in range(16)])
            for _ in range(count)}


def brute_force(vectors: dict[uuid.UUID, tuple[float, ...]], query: tuple[float, ...],
                limit: int) -> list[uuid.UUID]:
    scores = {pid: sum(a * b for a, b in zip(v, query, strict=True))
              for pid, v in vectors.items()}
    return sorted(scores, key=lambda pid: -scores[pid])[:limit]


def test_the_nearest_are_those_a_brute_force_loop_finds_in_the_same_order() -> None:
    vectors = random_vectors(INITIAL_CAPACITY + 300)  # past the first capacity: it grows
    index = NumpyVectorIndex()
    for pid, vector in vectors.items():
        index.upsert(pid, vector)
    query = unit([1.0] * 16)
    hits = index.nearest(query, 10)
    assert [hit.product_id for hit in hits] == brute_force(vectors, query, 10)
    assert hits[0].score >= hits[-1].score


def test_a_removed_vector_is_never_returned_and_its_row_is_reused() -> None:
    vectors = random_vectors(5)
    index = NumpyVectorIndex()
    for pid, vector in vectors.items():
        index.upsert(pid, vector)
    gone = next(iter(vectors))
    index.remove(gone)
    assert gone not in {hit.product_id for hit in index.nearest(vectors[gone], 5)}
    index.upsert(uuid.uuid4(), vectors[gone])
    assert len(index) == 5


def test_among_and_excluding_narrow_the_candidates() -> None:
    vectors = random_vectors(20)
    ids = list(vectors)
    index = NumpyVectorIndex()
    for pid, vector in vectors.items():
        index.upsert(pid, vector)
    hits = index.nearest(vectors[ids[0]], 10, among=frozenset(ids[:3]),
                         excluding=frozenset([ids[0]]))
    assert {hit.product_id for hit in hits} == set(ids[1:3])


def test_an_upsert_replaces_the_vector_of_the_same_product() -> None:
    index = NumpyVectorIndex()
    pid = uuid.uuid4()
    index.upsert(pid, unit([1.0, 0.0]))
    index.upsert(pid, unit([0.0, 1.0]))
    assert len(index) == 1
    assert index.vector_of(pid) == (0.0, 1.0)


def test_an_empty_index_answers_nothing() -> None:
    assert NumpyVectorIndex().nearest((1.0, 0.0), 5) == []
