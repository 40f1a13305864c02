"""Search quality and speed: keyword, semantic and hybrid against an in-run Okapi BM25.

Runs the shop as a library (SQLite in a temp dir, the bundled model), loads the
labelled set of `search_set.py`, and prints:

- nDCG@10, Recall@10 and MRR of the shop's `keyword`, `semantic` and `hybrid`
  modes and of `rank_bm25`'s BM25Okapi over the same product texts, overall
  and per kind of query, with hybrid / BM25 (target >= 1.10);
- top-1 / top-3 accuracy of the category suggestions for held-out products;
- search latency p50 / p99 per mode with 10,000 products, beside the catalogue's
  substring listing (`ListProducts(q=...)`) measured in the same run.

    .venv/bin/python bench/search_quality.py [--latency-products 10000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import machine, percentile, print_machine
from rank_bm25 import BM25Okapi
from search_set import TYPES, LabelledQuery, Product, catalogue, category_of, queries

from shop import Settings, bootstrap
from shop.application.ai.ports import StoredEmbedding
from shop.application.ai.queries import SearchProducts, SuggestCategories
from shop.application.ai.views import SearchMode
from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.application.catalog.queries import ListProducts
from shop.bootstrap import ShopRuntime

K = 10
HELD_OUT_PER_TYPE = 2
_WORD = re.compile(r"\w+")


def bench_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, log_level="WARNING", ai_index_refresh_seconds=3600,
                    jwt_secret=uuid.uuid4().hex * 2)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ndcg(ranked: Sequence[str], labels: dict[str, int], k: int = K) -> float:
    gains = [2 ** labels.get(key, 0) - 1 for key in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2 ** g - 1 for g in labels.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], labels: dict[str, int], k: int = K) -> float:
    relevant = {key for key, grade in labels.items() if grade > 0}
    return len(relevant & set(ranked[:k])) / min(len(relevant), k) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], labels: dict[str, int]) -> float:
    for rank, key in enumerate(ranked, start=1):
        if labels.get(key, 0) > 0:
            return 1.0 / rank
    return 0.0


async def load(shop: ShopRuntime, products: list[Product]) -> dict[uuid.UUID, str]:
    """Create the category tree and the products through the bus; product id -> set key."""
    categories: dict[tuple[str, ...], uuid.UUID] = {}
    keys: dict[uuid.UUID, str] = {}
    for product in products:
        for depth in range(1, len(product.path) + 1):
            path = product.path[:depth]
            if path not in categories:
                parent = categories.get(path[:-1])
                created = await shop.bus.handle(CreateCategory(name=path[-1], parent_id=parent))
                categories[path] = created.id
        view = await shop.bus.handle(CreateProduct(
            name=product.name, description=product.description, price=product.price,
            category_id=categories[product.path], stock=5))
        keys[view.id] = product.key
    return keys


async def shop_rankings(shop: ShopRuntime, labelled: list[LabelledQuery],
                        keys: dict[uuid.UUID, str]) -> dict[str, list[list[str]]]:
    rankings: dict[str, list[list[str]]] = {}
    for mode in SearchMode:
        rankings[mode.value] = []
        for query in labelled:
            results = await shop.bus.ask(SearchProducts(q=query.text, limit=K, mode=mode))
            rankings[mode.value].append([keys[item.product.id] for item in results.items])
    return rankings


def bm25_rankings(products: list[Product], labelled: list[LabelledQuery]) -> list[list[str]]:
    bm25 = BM25Okapi([tokens(f"{p.name} {p.description}") for p in products])
    ranked = []
    for query in labelled:
        scores = bm25.get_scores(tokens(query.text))
        order = sorted(range(len(products)), key=lambda i: -scores[i])
        ranked.append([products[i].key for i in order[:K] if scores[i] > 0])
    return ranked


def quality(rankings: dict[str, list[list[str]]],
            labelled: list[LabelledQuery]) -> dict[str, dict[str, dict[str, float]]]:
    """system -> query kind (and `all`) -> metric -> mean."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for system, ranked_lists in rankings.items():
        per_kind: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for query, ranked in zip(labelled, ranked_lists, strict=True):
            row = (ndcg(ranked, query.labels), recall(ranked, query.labels),
                   reciprocal_rank(ranked, query.labels))
            per_kind[query.kind].append(row)
            per_kind["all"].append(row)
        table[system] = {kind: {name: sum(r[i] for r in rows) / len(rows)
                                for i, name in enumerate(("ndcg@10", "recall@10", "mrr"))}
                         for kind, rows in per_kind.items()}
    return table


async def category_accuracy(shop: ShopRuntime, products: list[Product],
                            keys: dict[uuid.UUID, str]) -> dict[str, float]:
    """Hold out products (their vectors leave the index), ask where they belong."""
    by_key = {key: pid for pid, key in keys.items()}
    index = shop.container.vector_index()
    held_out = [p for p in products if int(p.key.rsplit("-", 1)[1]) < HELD_OUT_PER_TYPE]
    for product in held_out:
        index.remove(by_key[product.key])
    top1 = top3 = 0
    for product in held_out:
        suggestions = await shop.bus.ask(SuggestCategories(
            name=product.name, description=product.description, limit=3))
        names = [s.category.name for s in suggestions]
        top1 += names[:1] == [product.path[-1]]
        top3 += product.path[-1] in names
    return {"held_out": len(held_out), "top1": top1 / len(held_out),
            "top3": top3 / len(held_out)}


async def latency(total: int, vectors_by_type: dict[str, list[tuple[float, ...]]],
                  labelled: list[LabelledQuery], rounds: int) -> dict[str, dict[str, float]]:
    """p50/p99 of each mode with `total` products, and of the substring listing as reference.

    Embedding 10,000 full product texts takes ~10 minutes here, so each product gets the
    stored vector of a product of its type from the quality run plus a little noise:
    what a search costs does not depend on what the vectors say.
    """
    per_type = math.ceil(total / len(TYPES))
    products = catalogue(seed=7, per_type=per_type)[: per_type * len(TYPES)]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp))
        async with bootstrap(settings) as shop:
            keys = await load(shop, products)
            store, index = shop.container.embedding_store(), shop.container.vector_index()
            model = shop.container.embedder().model_id
            types = {p.key: p.type_key for p in products}
            for pid, key in keys.items():
                base = rng.choice(vectors_by_type[types[key]])
                noisy = [x + rng.gauss(0, 0.01) for x in base]
                norm = math.sqrt(sum(x * x for x in noisy))
                vector = tuple(x / norm for x in noisy)
                await store.save(StoredEmbedding(pid, model, 1, vector))
                index.upsert(pid, vector)
            for mode in SearchMode:  # warm: the model loads on the first query, not timed
                await shop.bus.ask(SearchProducts(q="warm up", limit=K, mode=mode))
            timings: dict[str, list[float]] = defaultdict(list)
            for _ in range(rounds):
                for query in labelled:
                    for mode in SearchMode:
                        started = time.perf_counter()
                        await shop.bus.ask(SearchProducts(q=query.text, limit=K, mode=mode))
                        timings[mode.value].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await shop.bus.ask(ListProducts(q=query.text.split()[0]))
                    timings["substring listing (reference)"].append(
                        time.perf_counter() - started)
    return {name: {"products": len(products), "p50_ms": 1000 * (percentile(values, 50) or 0),
                   "p99_ms": 1000 * (percentile(values, 99) or 0)}
            for name, values in timings.items()}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    products = catalogue()
    labelled = queries(products)
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(Path(tmp))
        async with bootstrap(settings) as shop:
            keys = await load(shop, products)
            started = time.perf_counter()
            await shop.container.product_embedding_indexer().reindex_all()
            embed_seconds = time.perf_counter() - started
            rankings = await shop_rankings(shop, labelled, keys)
            rankings["bm25 (rank_bm25, reference)"] = bm25_rankings(products, labelled)
            vectors_by_type: dict[str, list[tuple[float, ...]]] = defaultdict(list)
            types = {p.key: p.type_key for p in products}
            index = shop.container.vector_index()
            for pid, key in keys.items():
                vector = index.vector_of(pid)
                if vector is not None:
                    vectors_by_type[types[key]].append(vector)
            categories = await category_accuracy(shop, products, keys)
    return {
        "set": {"products": len(products), "queries": len(labelled),
                "categories": len({category_of(p) for p in products}),
                "embedding_seconds": round(embed_seconds, 1)},
        "quality": quality(rankings, labelled),
        "category_suggestions": categories,
        "latency": await latency(args.latency_products, vectors_by_type, labelled,
                                 args.rounds),
    }


def report(figures: dict[str, Any]) -> None:
    s = figures["set"]
    print(f"labelled set: {s['products']} products, {s['queries']} queries, "
          f"{s['categories']} leaf categories; embedded in {s['embedding_seconds']} s")
    kinds = ["all", "synonym", "colour", "need", "typo"]
    print(f"\n{'system':32} " + " ".join(f"{k:>22}" for k in kinds))
    print(f"{'':32} " + " ".join(f"{'nDCG@10 R@10   MRR':>22}" for _ in kinds))
    for system, per_kind in figures["quality"].items():
        cells = [" ".join(f"{per_kind[k][m]:.3f}" for m in ("ndcg@10", "recall@10", "mrr"))
                 for k in kinds]
        print(f"{system:32} " + " ".join(f"{c:>22}" for c in cells))
    reference = figures["quality"]["bm25 (rank_bm25, reference)"]["all"]["ndcg@10"]
    for mode in ("keyword", "semantic", "hybrid"):
        ratio = figures["quality"][mode]["all"]["ndcg@10"] / reference
        print(f"nDCG@10 {mode} / BM25: {ratio:.2f}" + ("  (target >= 1.10)"
                                                     if mode == "hybrid" else ""))
    c = figures["category_suggestions"]
    print(f"\ncategory suggestions, {c['held_out']} held-out products: "
          f"top-1 {c['top1']:.3f}, top-3 {c['top3']:.3f}")
    print("\nlatency (in-process, through the message bus):")
    lat = figures["latency"]
    reference_p99 = lat["substring listing (reference)"]["p99_ms"]
    for name, row in lat.items():
        print(f"  {name:32} {row['products']} products  p50 {row['p50_ms']:.2f} ms  "
              f"p99 {row['p99_ms']:.2f} ms  p99 / reference {row['p99_ms'] / reference_p99:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="passes over the queries when timing (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    before = machine()
    figures = asyncio.run(run(args))
    after = machine()
    if args.json:
        print(json.dumps({**figures, "machine": {"before": before, "after": after}}, indent=2))
    else:
        report(figures)
        print_machine(before, after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
