"""Keyword search on each database's own full-text engine: the `KeywordIndex` adapters.

- SQLite: FTS5 ranked by `bm25()` (name weighted 3x the description), tokenizer
  `porter unicode61 remove_diacritics 2`: Unicode word boundaries, case and
  accents folded ("cafe" finds "Café"), English stemming ("sofas" finds "sofa").
- PostgreSQL: a weighted `tsvector` (name A, description B) with a GIN index,
  ranked by `ts_rank`; the `english` configuration stems like Porter and its
  parser splits any Unicode text into words and folds case (accents are kept:
  folding them needs the `unaccent` extension, not a given on managed servers).
- SQL Server (and anything else): a portable fallback without an index: every
  query word is matched as a case-insensitive substring of the name (3 points)
  and the description (1 point). SQL Server full-text needs a full-text catalog
  created outside migrations, which is not a given on a managed instance.

Terms are ORed: a product that matches some of the words still ranks, below
those that match all of them; words are extracted as Unicode `\\w+` runs, so
no query syntax ever reaches the engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.ports import ScoredId, SearchFilter
from shop.infrastructure.db.catalog_read_model import live_product_conditions
from shop.infrastructure.db.schema import products

MAX_TERMS = 16
NAME_WEIGHT = 3.0
DESCRIPTION_WEIGHT = 1.0

SQLITE_SEARCH_TABLE_DDL = (
    "CREATE VIRTUAL TABLE product_search USING fts5("
    "product_id UNINDEXED, name, description, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
PG_CONFIG = "english"
PG_DOCUMENT = (
    f"(setweight(to_tsvector('{PG_CONFIG}'::regconfig, name), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, description), 'B'))"
)
"""The indexed expression; the query repeats it verbatim so PostgreSQL uses the GIN index."""

_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in",
    "is", "it", "me", "my", "of", "on", "or", "our", "so", "something", "somewhere", "that",
    "the", "these", "this", "those", "to", "we", "with", "without", "you", "your",
})
"""English function words: matching them ranks nothing (they are in every description) and
costs a scan of most of the index. A query made only of them keeps them."""


def create_sqlite_search_triggers(execute: Callable[[str], Any]) -> None:
    """The triggers that keep `product_search` equal to the products' name and description."""
    execute(
        "CREATE TRIGGER product_search_insert AFTER INSERT ON products BEGIN "
        "INSERT INTO product_search (product_id, name, description) "
        "VALUES (new.id, new.name, new.description); END"
    )
    execute(
        "CREATE TRIGGER product_search_update AFTER UPDATE OF name, description ON products "
        "BEGIN UPDATE product_search SET name = new.name, description = new.description "
        "WHERE product_id = new.id; END"
    )
    execute(
        "CREATE TRIGGER product_search_delete AFTER DELETE ON products BEGIN "
        "DELETE FROM product_search WHERE product_id = old.id; END"
    )


def query_terms(text: str) -> list[str]:
    """The words of a query, lower-cased and deduplicated, in their order.

    `lower`, not `casefold`: casefold turns a Greek final sigma into a plain one and
    "ß" into "ss", which neither engine does to the stored text.
    """
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        seen.setdefault(word, None)
    words = [word for word in seen if word not in STOP_WORDS] or list(seen)
    return words[:MAX_TERMS]


def _filters(criteria: SearchFilter) -> list[sa.ColumnElement[bool]]:
    return live_product_conditions(criteria.as_product_filter())


QueryBuilder = Callable[[list[str], SearchFilter, int], "sa.Select[Any]"]
"""Builds the ranked `SELECT id, score` of one backend for the query's terms."""


def sqlite_query(terms: list[str], criteria: SearchFilter, limit: int) -> sa.Select[Any]:
    """FTS5 MATCH ranked by bm25 (negative, lower better: negated into the score)."""
    table = sa.table("product_search", sa.column("product_id", sa.Uuid()))
    match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    rank = sa.func.bm25(sa.literal_column("product_search"), 0.0, NAME_WEIGHT,
                        DESCRIPTION_WEIGHT)
    return (
        sa.select(products.c.id, (-rank).label("score"))
        .select_from(table.join(products, products.c.id == table.c.product_id))
        .where(sa.literal_column("product_search").op("MATCH")(match), *_filters(criteria))
        .order_by(rank, products.c.id)
        .limit(limit)
    )


def postgres_query(terms: list[str], criteria: SearchFilter, limit: int) -> sa.Select[Any]:
    """tsvector @@ tsquery through the GIN index, ranked by ts_rank."""
    document: sa.ColumnElement[Any] = sa.literal_column(PG_DOCUMENT)
    tsquery = sa.func.to_tsquery(
        sa.literal_column(f"'{PG_CONFIG}'::regconfig"),
        " | ".join("'" + term.replace("'", "''") + "'" for term in terms),
    )
    rank = sa.func.ts_rank(document, tsquery)
    return (
        sa.select(products.c.id, rank.label("score"))
        .where(document.op("@@")(tsquery), *_filters(criteria))
        .order_by(rank.desc(), products.c.id)
        .limit(limit)
    )


def substring_query(terms: list[str], criteria: SearchFilter, limit: int) -> sa.Select[Any]:
    """The portable fallback (SQL Server): substring hits, name weighted above description."""
    name, description = sa.func.lower(products.c.name), sa.func.lower(products.c.description)
    points: list[sa.ColumnElement[Any]] = []
    for term in terms:
        points.append(sa.case((name.contains(term, autoescape=True), NAME_WEIGHT), else_=0.0))
        points.append(sa.case((description.contains(term, autoescape=True),
                               DESCRIPTION_WEIGHT), else_=0.0))
    score = sum(points[1:], points[0])
    return (
        sa.select(products.c.id, score.label("score"))
        .where(score > 0, *_filters(criteria))
        .order_by(score.desc(), products.c.id)
        .limit(limit)
    )


_QUERIES: dict[str, QueryBuilder] = {"sqlite": sqlite_query, "postgresql": postgres_query}


class SqlKeywordIndex:
    """The best full-text ranking the configured database offers."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._build = _QUERIES.get(engine.dialect.name, substring_query)

    async def search(self, text: str, criteria: SearchFilter, limit: int) -> list[ScoredId]:
        terms = query_terms(text)
        if not terms:
            return []
        async with self._engine.connect() as conn:
            rows = (await conn.execute(self._build(terms, criteria, limit))).all()
        return [ScoredId(row.id, float(row.score)) for row in rows]
