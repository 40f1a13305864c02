"""Every SQL statement timed, and the slow ones logged with their shape.

Hooked on the engine's cursor events, so it sees each statement the shop runs,
Core or text, whichever repository or migration sent it. The histogram is
labelled by statement kind and main table (both bounded: unknown tables count
as `other`); a statement slower than the threshold is also logged with its
shape: whitespace collapsed, literals and placeholder lists folded, never its
parameters (those carry emails, addresses and password hashes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from functools import lru_cache
from time import perf_counter
from typing import Any, Final

from prometheus_client import Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.infrastructure.observability.metrics import DB_QUERY_DURATION, DB_SLOW_QUERIES

log = logging.getLogger("shop.db.slow")

MAX_SHAPE_LENGTH: Final = 2000
OTHER_TABLE: Final = "other"
NO_TABLE: Final = "none"
"""The `table` of statements that read no table (`SELECT 1`, `BEGIN`, `pg_sleep`)."""

_KINDS: Final = frozenset({"select", "insert", "update", "delete"})
_STARTED: Final = "_shop_query_started"

_NAME = r'"[^"]+"|\[[^\]]+\]|`[^`]+`|[A-Za-z_][\w$]*'
_IDENTIFIER = rf"({_NAME})(?:\.({_NAME}))?"
"""A table name, optionally schema-qualified (then group 2 is the table)."""
_TABLE_AFTER = {
    "insert": re.compile(r"\bINTO\s+" + _IDENTIFIER, re.IGNORECASE),
    "update": re.compile(r"^\s*UPDATE\s+" + _IDENTIFIER, re.IGNORECASE),
    "delete": re.compile(r"\bFROM\s+" + _IDENTIFIER, re.IGNORECASE),
    "select": re.compile(r"\bFROM\s+" + _IDENTIFIER, re.IGNORECASE),
}
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NUMBER_LITERAL = re.compile(r"(?<![\w$:.])\d+(?:\.\d+)?\b")
_PLACEHOLDER_LIST = re.compile(r"\(\s*(?:\?|\$\d+|%s|:\w+)(?:\s*,\s*(?:\?|\$\d+|%s|:\w+))+\s*\)")
_WHITESPACE = re.compile(r"\s+")


def statement_shape(statement: str) -> str:
    """The statement as a pattern: no literal values, one `(...)` for a list of placeholders."""
    shape = _STRING_LITERAL.sub("?", statement)
    shape = _NUMBER_LITERAL.sub("?", shape)
    shape = _PLACEHOLDER_LIST.sub("(...)", shape)
    shape = _WHITESPACE.sub(" ", shape).strip()
    if len(shape) > MAX_SHAPE_LENGTH:
        return shape[:MAX_SHAPE_LENGTH] + " ..."
    return shape


def _unquoted(name: str) -> str:
    return name.strip('"[]`').lower()


def kind_and_table(statement: str, known_tables: Collection[str]) -> tuple[str, str]:
    """`("select", "products")`: the statement's verb and the first table it names."""
    words = statement.lstrip().split(None, 1)
    kind = words[0].lower() if words else ""
    if kind not in _KINDS:
        return "other", NO_TABLE
    found = _TABLE_AFTER[kind].search(statement)
    if found is None:
        return kind, NO_TABLE
    table = _unquoted(found.group(2) or found.group(1))
    return kind, table if table in known_tables else OTHER_TABLE


class QueryTimer:
    """The engine listeners; one per engine, its histogram children cached per label pair."""

    def __init__(self, *, slow_query_ms: float, known_tables: Collection[str]) -> None:
        self._slow_seconds = slow_query_ms / 1000.0
        self._known_tables = frozenset(known_tables)
        self._durations: dict[tuple[str, str], Histogram] = {}
        self._labels = lru_cache(maxsize=4096)(self._kind_and_table)

    def _kind_and_table(self, statement: str) -> tuple[str, str]:
        return kind_and_table(statement, self._known_tables)

    def before(self, _conn: Any, _cursor: Any, _statement: str, _parameters: Any,
               context: Any, _executemany: bool) -> None:
        if context is not None:
            setattr(context, _STARTED, perf_counter())

    def after(self, _conn: Any, _cursor: Any, statement: str, _parameters: Any,
              context: Any, _executemany: bool) -> None:
        started = getattr(context, _STARTED, None)
        if started is None:
            return
        elapsed = perf_counter() - started
        labels = self._labels(statement)
        child = self._durations.get(labels)
        if child is None:
            child = self._durations[labels] = DB_QUERY_DURATION.labels(*labels)
        DEFERRED.observe(child, elapsed)
        if elapsed > self._slow_seconds:
            self._report_slow(statement, labels, elapsed)

    @staticmethod
    def _report_slow(statement: str, labels: tuple[str, str], elapsed: float) -> None:
        kind, table = labels
        DB_SLOW_QUERIES.labels(kind=kind, table=table).inc()
        log.warning("slow query", extra={
            "statement": statement_shape(statement), "kind": kind, "table": table,
            "duration_ms": round(elapsed * 1000, 1),
        })


def time_queries(engine: AsyncEngine, *, slow_query_ms: float,
                 known_tables: Collection[str]) -> QueryTimer:
    """Time every statement `engine` runs (histogram), and log and count the slow ones."""
    timer = QueryTimer(slow_query_ms=slow_query_ms, known_tables=known_tables)
    event.listen(engine.sync_engine, "before_cursor_execute", timer.before)
    event.listen(engine.sync_engine, "after_cursor_execute", timer.after)
    return timer
