"""In-memory fakes of the AI ports, so the use cases are tested without the model."""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from shop.application.ai.ports import (
    ProductDocument,
    ScoredId,
    SearchFilter,
    StoredEmbedding,
    Vector,
)
from shop.application.ai.purchases import Basket, PairCount
from shop.application.catalog.views import ProductView

HASH_DIMENSION = 64
_WORD = re.compile(r"\w+")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class HashingEmbedder:
    """Deterministic: each word adds +-1 to one of 64 buckets (by sha256); unit length.

    Texts that share words are close, texts that share none are near orthogonal:
    enough to test ranking and plumbing, and it counts the texts it embedded.
    """

    model_id = "test-hashing-64"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    async def dimension(self) -> int:
        return HASH_DIMENSION

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.embedded.extend(texts)
        return [hashed_vector(text) for text in texts]


def hashed_vector(text: str) -> Vector:
    values = [0.0] * HASH_DIMENSION
    for word in _WORD.findall(text.casefold()):
        digest = hashlib.sha256(word.encode()).digest()
        values[digest[0] % HASH_DIMENSION] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(v / norm for v in values)


def dot(a: Vector, b: Vector) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class InMemoryVectorIndex:
    def __init__(self) -> None:
        self.vectors: dict[uuid.UUID, Vector] = {}

    def upsert(self, product_id: uuid.UUID, vector: Vector) -> None:
        self.vectors[product_id] = vector

    def remove(self, product_id: uuid.UUID) -> None:
        self.vectors.pop(product_id, None)

    def vector_of(self, product_id: uuid.UUID) -> Vector | None:
        return self.vectors.get(product_id)

    def nearest(self, vector: Vector, limit: int, *, among: frozenset[uuid.UUID] | None = None,
                excluding: frozenset[uuid.UUID] = frozenset()) -> list[ScoredId]:
        scored = [ScoredId(pid, dot(vector, v)) for pid, v in self.vectors.items()
                  if (among is None or pid in among) and pid not in excluding]
        scored.sort(key=lambda hit: (-hit.score, str(hit.product_id)))
        return scored[:limit]

    def mean_of(self, product_ids: Iterable[uuid.UUID]) -> Vector | None:
        found = [self.vectors[pid] for pid in product_ids if pid in self.vectors]
        if not found:
            return None
        summed = [sum(column) for column in zip(*found, strict=True)]
        norm = math.sqrt(sum(x * x for x in summed)) or 1.0
        return tuple(x / norm for x in summed)

    def __len__(self) -> int:
        return len(self.vectors)


class InMemoryEmbeddingStore:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, StoredEmbedding] = {}

    async def save(self, embedding: StoredEmbedding) -> None:
        current = self.rows.get(embedding.product_id)
        if (current is None or current.model_id != embedding.model_id
                or current.product_version <= embedding.product_version):
            self.rows[embedding.product_id] = embedding

    async def stored_version(self, product_id: uuid.UUID, model_id: str) -> int | None:
        row = self.rows.get(product_id)
        return row.product_version if row and row.model_id == model_id else None

    async def delete(self, product_id: uuid.UUID) -> None:
        self.rows.pop(product_id, None)


@dataclass
class Catalogue:
    """Products as the search sees them: their views, texts and categories."""

    products: dict[uuid.UUID, ProductView] = field(default_factory=dict)
    paths: dict[uuid.UUID, tuple[str, ...]] = field(default_factory=dict)

    def add(self, name: str, *, description: str = "", price: str = "10.00",
            category_id: uuid.UUID | None = None, stock: int = 5,
            path: tuple[str, ...] = ()) -> ProductView:
        view = ProductView(
            id=uuid.uuid4(), name=name, description=description, price=Decimal(price),
            currency="USD", category_id=category_id or uuid.uuid4(), stock=stock, sku=None,
            created_at=T0, updated_at=T0, product_version=1, stock_version=1,
        )
        self.products[view.id] = view
        self.paths[view.id] = path
        return view

    def rename(self, product_id: uuid.UUID, name: str) -> None:
        view = self.products[product_id]
        self.products[product_id] = replace(view, name=name,
                                            product_version=view.product_version + 1)

    def delete(self, product_id: uuid.UUID) -> None:
        del self.products[product_id]

    def matches(self, view: ProductView, criteria: SearchFilter) -> bool:
        return ((criteria.category_ids is None or view.category_id in criteria.category_ids)
                and (criteria.min_price is None or view.price >= criteria.min_price)
                and (criteria.max_price is None or view.price <= criteria.max_price))


class InMemoryProductViews:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def views(self, product_ids: Iterable[uuid.UUID]) -> Mapping[uuid.UUID, ProductView]:
        products = self._catalogue.products
        return {pid: products[pid] for pid in product_ids if pid in products}

    async def ids_matching(self, criteria: SearchFilter) -> frozenset[uuid.UUID]:
        return frozenset(pid for pid, view in self._catalogue.products.items()
                         if self._catalogue.matches(view, criteria))

    async def ids_by_category(self) -> Mapping[uuid.UUID, list[uuid.UUID]]:
        members: dict[uuid.UUID, list[uuid.UUID]] = {}
        for view in self._catalogue.products.values():
            members.setdefault(view.category_id, []).append(view.id)
        return members


class InMemoryProductDocuments:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def _document(self, view: ProductView) -> ProductDocument:
        return ProductDocument(product_id=view.id, version=view.product_version, name=view.name,
                               description=view.description,
                               category_path=self._catalogue.paths.get(view.id, ()))

    async def document(self, product_id: uuid.UUID) -> ProductDocument | None:
        view = self._catalogue.products.get(product_id)
        return None if view is None else self._document(view)

    async def all_documents(self, batch_size: int) -> AsyncIterator[list[ProductDocument]]:
        views = sorted(self._catalogue.products.values(), key=lambda v: v.id)
        for start in range(0, len(views), batch_size):
            yield [self._document(view) for view in views[start : start + batch_size]]

    async def count(self) -> int:
        return len(self._catalogue.products)


class InMemoryKeywordIndex:
    """Scores each product by how many query words its name contains (2) or description (1)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def search(self, text: str, criteria: SearchFilter, limit: int) -> list[ScoredId]:
        words = set(_WORD.findall(text.casefold()))
        hits = []
        for view in self._catalogue.products.values():
            if not self._catalogue.matches(view, criteria):
                continue
            score = (2 * len(words & set(_WORD.findall(view.name.casefold())))
                     + len(words & set(_WORD.findall(view.description.casefold()))))
            if score:
                hits.append(ScoredId(view.id, float(score)))
        hits.sort(key=lambda hit: (-hit.score, str(hit.product_id)))
        return hits[:limit]


class InMemoryCoPurchaseStore:
    """The co-purchase projection in dicts, with the SQL store's once-per-event rule."""

    def __init__(self) -> None:
        self.baskets: dict[uuid.UUID, Basket] = {}
        self.seen: set[uuid.UUID] = set()

    async def add_basket(self, event_id: uuid.UUID, basket: Basket) -> None:
        if event_id in self.seen:
            return
        self.seen.add(event_id)
        self.baskets.setdefault(basket.order_id, basket)

    async def remove_basket(self, event_id: uuid.UUID, order_id: uuid.UUID) -> None:
        if event_id in self.seen:
            return
        self.seen.add(event_id)
        self.baskets.pop(order_id, None)

    async def pairs_with(self, product_ids: list[uuid.UUID]) -> list[PairCount]:
        together: Counter[tuple[uuid.UUID, uuid.UUID]] = Counter()
        for basket in self.baskets.values():
            for first in basket.quantities:
                for second in basket.quantities:
                    if first != second and first in product_ids:
                        together[(first, second)] += 1
        return [PairCount(a, b, n) for (a, b), n in together.items()]

    async def orders_holding(self, product_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        return {pid: sum(pid in b.quantities for b in self.baskets.values())
                for pid in product_ids}

    async def total_orders(self) -> int:
        return len(self.baskets)

    async def bought_by(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        mine = sorted((b for b in self.baskets.values() if b.customer_id == customer_id),
                      key=lambda b: b.paid_at, reverse=True)
        return list(dict.fromkeys(pid for basket in mine for pid in basket.quantities))
