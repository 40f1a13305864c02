"""The ports of the AI features: an embedding model, a vector index and what feeds them.

The application layer sees vectors as plain tuples of floats: which library
computes and compares them (ONNX Runtime and NumPy by default, a vector
database at scale) is an adapter's business.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from shop.application.ai.purchases import CoPurchaseStore
from shop.application.analytics.ports import ProductSalesHistory
from shop.application.catalog.views import ProductFilter, ProductView

Vector = tuple[float, ...]
"""A unit-length embedding; cosine similarity is then the dot product."""


class Embedder(Protocol):
    """A sentence-embedding model: texts in, unit vectors out, the same for the same text.

    `embed` never blocks the event loop: the model loads on first use and runs
    in a worker thread.
    """

    @property
    def model_id(self) -> str:
        """Names the model (and its version): stored with every vector it made."""
        ...

    async def dimension(self) -> int:
        """Length of every vector (loads the model when it is not loaded yet)."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[Vector]: ...


@dataclass(frozen=True)
class ScoredId:
    """A product id with a score, higher is better (cosine similarity, bm25, fused rank)."""

    product_id: uuid.UUID
    score: float


class VectorIndex(Protocol):
    """Nearest neighbours by cosine similarity, over the products that have an embedding."""

    def upsert(self, product_id: uuid.UUID, vector: Vector) -> None: ...
    def remove(self, product_id: uuid.UUID) -> None: ...
    def vector_of(self, product_id: uuid.UUID) -> Vector | None: ...
    def nearest(
        self,
        vector: Vector,
        limit: int,
        *,
        among: frozenset[uuid.UUID] | None = None,
        excluding: frozenset[uuid.UUID] = frozenset(),
    ) -> list[ScoredId]:
        """The `limit` closest products, best first; only those in `among` when it is given."""
        ...
    def mean_of(self, product_ids: Iterable[uuid.UUID]) -> Vector | None:
        """The unit-length mean of these products' vectors (None if none is indexed)."""
        ...
    def __len__(self) -> int: ...


@dataclass(frozen=True)
class StoredEmbedding:
    product_id: uuid.UUID
    model_id: str
    product_version: int
    vector: Vector


class EmbeddingStore(Protocol):
    """The embeddings kept in the database: the truth every process's index is loaded from."""

    async def save(self, embedding: StoredEmbedding) -> None:
        """Insert or replace the product's embedding (never with an older product version)."""
        ...
    async def stored_version(self, product_id: uuid.UUID, model_id: str) -> int | None:
        """The product version its stored embedding by this model was made from, if any."""
        ...
    async def delete(self, product_id: uuid.UUID) -> None: ...


@dataclass(frozen=True)
class ProductDocument:
    """What a product's embedding is computed from: its words and where it sits."""

    product_id: uuid.UUID
    version: int
    name: str
    description: str
    category_path: tuple[str, ...]

    @property
    def text(self) -> str:
        """Name first (the model truncates long inputs), then the category path, then the rest."""
        parts = [self.name, " > ".join(self.category_path), self.description]
        return ". ".join(part for part in parts if part)


class ProductDocuments(Protocol):
    """Reads the texts to embed, straight from the catalog's storage."""

    async def document(self, product_id: uuid.UUID) -> ProductDocument | None:
        """None when the product is not (or no longer) in the catalog."""
        ...
    def all_documents(self, batch_size: int) -> AsyncIterator[list[ProductDocument]]:
        """Every live product, in batches (an async generator in the SQL adapter)."""
        ...
    async def count(self) -> int: ...


@dataclass(frozen=True)
class SearchFilter:
    """Narrows a search; `category_ids` is the category with its descendants, expanded."""

    category_ids: frozenset[uuid.UUID] | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    def as_product_filter(self) -> ProductFilter:
        return ProductFilter(category_ids=self.category_ids, min_price=self.min_price,
                             max_price=self.max_price)

    @property
    def is_empty(self) -> bool:
        return self.category_ids is None and self.min_price is None and self.max_price is None


class KeywordIndex(Protocol):
    """Full-text ranking on the database's own engine (FTS5, tsvector, a portable fallback)."""

    async def search(self, text: str, criteria: SearchFilter, limit: int) -> list[ScoredId]: ...


@dataclass(frozen=True)
class StockLevel:
    product_id: uuid.UUID
    name: str
    stock: int


class ProductViews(Protocol):
    """Product views by id, live products only: how a deleted product leaves results at once."""

    async def views(self, product_ids: Iterable[uuid.UUID]) -> Mapping[uuid.UUID, ProductView]: ...
    async def ids_matching(self, criteria: SearchFilter) -> frozenset[uuid.UUID]: ...
    async def ids_by_category(self) -> Mapping[uuid.UUID, list[uuid.UUID]]:
        """Every live product's id under its (direct) category's id."""
        ...
    async def stock_levels(self) -> Sequence[StockLevel]:
        """Every live product's name and stock on hand."""
        ...


@dataclass(frozen=True)
class AiPorts:
    """Everything the AI use cases need, handed to the bus builder as one (None: AI off)."""

    embedder: Embedder
    vectors: VectorIndex
    keywords: KeywordIndex
    views: ProductViews
    documents: ProductDocuments
    embeddings: EmbeddingStore
    purchases: CoPurchaseStore
    demand: ProductSalesHistory
