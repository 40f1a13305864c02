"""The `VectorIndex` as one NumPy matrix searched by brute force.

Exact, and fast enough to ~100k products (a matrix-vector product over 384
float32 columns): 10,000 products answer in well under a millisecond. Rows
are appended and deleted in place with a free list, so updates never rebuild
the matrix. A vector database replaces this class at a scale of millions.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from shop.application.ai.ports import ScoredId, Vector

INITIAL_CAPACITY = 1024


class NumpyVectorIndex:
    """Unit vectors in rows; cosine similarity is a dot product."""

    def __init__(self) -> None:
        self._matrix: npt.NDArray[np.float32] | None = None
        self._live: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._row_of: dict[uuid.UUID, int] = {}
        self._id_at: list[uuid.UUID | None] = []
        self._free: list[int] = []
        # Writers (the indexer, the catch-up loop) and readers run on the event loop, but
        # `shop ai reindex` and tests may write from a thread: keep the bookkeeping atomic.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._row_of)

    def upsert(self, product_id: uuid.UUID, vector: Vector) -> None:
        row_vector = np.asarray(vector, dtype=np.float32)
        with self._lock:
            self._ensure_matrix(row_vector.shape[0])
            row = self._row_of.get(product_id)
            if row is None:
                row = self._take_row()
                self._row_of[product_id] = row
                self._id_at[row] = product_id
            self._rows()[row] = row_vector
            self._live[row] = True

    def remove(self, product_id: uuid.UUID) -> None:
        with self._lock:
            row = self._row_of.pop(product_id, None)
            if row is None:
                return
            self._live[row] = False
            self._id_at[row] = None
            self._free.append(row)

    def vector_of(self, product_id: uuid.UUID) -> Vector | None:
        row = self._row_of.get(product_id)
        if row is None or self._matrix is None:
            return None
        return tuple(self._matrix[row].tolist())

    def mean_of(self, product_ids: Iterable[uuid.UUID]) -> Vector | None:
        with self._lock:
            rows = [self._row_of[i] for i in product_ids if i in self._row_of]
            if not rows or self._matrix is None:
                return None
            mean = self._matrix[rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return tuple((mean / norm).tolist()) if norm > 0 else None

    def nearest(
        self,
        vector: Vector,
        limit: int,
        *,
        among: frozenset[uuid.UUID] | None = None,
        excluding: frozenset[uuid.UUID] = frozenset(),
    ) -> list[ScoredId]:
        if self._matrix is None or limit <= 0 or not self._row_of:
            return []
        query = np.asarray(vector, dtype=np.float32)
        with self._lock:
            allowed = self._allowed_rows(among, excluding)
            if not allowed.any():
                return []
            # einsum's own loop, not BLAS: a matrix-vector product this size is memory-bound,
            # and BLAS threads only contend for the cores (0.6 ms against 2.3 ms p50 at 10k).
            scores = np.einsum("ij,j->i", self._matrix[: len(self._live)], query)
            scores = np.where(allowed, scores, -np.inf)
            count = min(limit, int(allowed.sum()))
            best = np.argpartition(-scores, count - 1)[:count]
            best = best[np.argsort(-scores[best], kind="stable")]
            return [ScoredId(self._live_id(row), float(scores[row])) for row in best.tolist()]

    def _allowed_rows(
        self, among: frozenset[uuid.UUID] | None, excluding: frozenset[uuid.UUID]
    ) -> npt.NDArray[np.bool_]:
        if among is None:
            allowed = self._live.copy()
        else:
            allowed = np.zeros_like(self._live)
            rows = [self._row_of[i] for i in among if i in self._row_of]
            allowed[rows] = True
        for product_id in excluding:
            row = self._row_of.get(product_id)
            if row is not None:
                allowed[row] = False
        return allowed

    def _live_id(self, row: int) -> uuid.UUID:
        product_id = self._id_at[row]
        if product_id is None:  # only allowed (live) rows are ever ranked
            raise LookupError(f"row {row} of the vector index is free")
        return product_id

    def _rows(self) -> npt.NDArray[np.float32]:
        if self._matrix is None:
            raise LookupError("the vector index holds no vector yet")
        return self._matrix

    def _ensure_matrix(self, dimension: int) -> None:
        if self._matrix is None:
            self._matrix = np.zeros((INITIAL_CAPACITY, dimension), dtype=np.float32)
        elif self._matrix.shape[1] != dimension:
            raise ValueError(f"vector of {dimension} dimensions in an index of "
                             f"{self._matrix.shape[1]}: reindex after changing the model")

    def _take_row(self) -> int:
        if self._free:
            return self._free.pop()
        row = len(self._id_at)
        matrix = self._rows()
        if row == matrix.shape[0]:
            grown = np.zeros((row * 2, matrix.shape[1]), dtype=np.float32)
            grown[:row] = matrix
            self._matrix = grown
        self._id_at.append(None)
        self._live = np.append(self._live, False)
        return row
