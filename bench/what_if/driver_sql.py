"""Experiment, not shop code: the order path's statements sent to asyncpg directly.

Issue 11's order targets ask for ~2.3x the orders per second the shop places
on one worker, and `sql_round_trip.py` prices one statement through
SQLAlchemy at ~3x its cost through a raw asyncpg prepared statement. This
module answers what that difference is worth end to end: imported into a
server (through `sitecustomize.py` beside it, with `BENCH_DRIVER_SQL=1`), it replaces
`AsyncConnection.execute` for the order path's hot statements on PostgreSQL
(the inserts into orders, order_lines and outbox, the customer read, the
stock reservation, the order's versioned update) with the same SQL, compiled
once by SQLAlchemy for the dialect and run on the pooled connection's asyncpg
driver inside SQLAlchemy's transaction. Everything else (the product read
with its expanding IN, BEGIN/COMMIT, the pool, the relay's statements) stays
on SQLAlchemy.

It leans on SQLAlchemy internals (`_bind_processors`, `_result_columns`, the
asyncpg adapter's `_start_transaction`), skips the statement-timing metrics
and translates no driver error: fine for measuring, not for serving. See
bench/README.md, "what bypassing SQLAlchemy's execution layer would buy".
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import dml, selectable

HOT_TABLES = frozenset({"orders", "order_lines", "outbox", "customers", "stock"})

_sqlalchemy_execute = AsyncConnection.execute
_hot_by_identity: dict[int, tuple[bool, Any]] = {}
_prepared: dict[tuple[int, tuple[str, ...]], _Prepared] = {}
statements_sent: collections.Counter[str] = collections.Counter()
"""Statements this module sent to the driver, by statement class (for a sanity check)."""


class Rows(list[Any]):
    """What the repositories read from a result: rows by attribute, first(), all(), rowcount."""

    rowcount = 0

    def first(self) -> Any:
        return self[0] if self else None

    def all(self) -> list[Any]:
        return list(self)


class _Prepared:
    def __init__(self, conn: AsyncConnection, statement: Any, keys: Sequence[str]) -> None:
        dialect = conn.dialect
        columns = list(keys) if isinstance(statement, (dml.Insert, dml.Update)) else None
        compiled = statement.compile(dialect=dialect, column_keys=columns)
        self.sql: str = compiled.string
        self._compiled = compiled
        self._names = compiled.positiontup or []
        self._processors = compiled._bind_processors
        result_columns = compiled._result_columns
        self.result_processors: list[Callable[[Any], Any] | None] = [
            column[3].dialect_impl(dialect).result_processor(dialect, None)
            for column in result_columns]
        self.row_type = (collections.namedtuple("Row", [c[0] for c in result_columns],
                                                rename=True)
                         if result_columns else None)

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        values = self._compiled.construct_params(parameters)
        arguments = []
        for name in self._names:
            value = values[name]
            process = self._processors.get(name)
            arguments.append(process(value) if process is not None and value is not None
                             else value)
        return arguments


def _hot(statement: Any) -> bool:
    found = _hot_by_identity.get(id(statement))
    if found is None:  # the statement is kept with its answer, so its id is never reused
        found = _hot_by_identity[id(statement)] = (_is_hot(statement), statement)
    return found[0]


def _is_hot(statement: Any) -> bool:
    if isinstance(statement, dml.Update) and statement.table.name == "outbox":
        return False  # the relay's mark has an expanding IN
    if isinstance(statement, (dml.Insert, dml.Update)):
        return statement.table.name in HOT_TABLES
    if isinstance(statement, selectable.TextualSelect):
        return True  # the stock reservation
    if isinstance(statement, selectable.Select):
        froms = statement.get_final_froms()
        return len(froms) == 1 and getattr(froms[0], "name", "") == "customers"
    return False


async def _execute(self: AsyncConnection, statement: Any, parameters: Any = None,
                   **options: Any) -> Any:
    if self.dialect.name != "postgresql" or options or not _hot(statement):
        return await _sqlalchemy_execute(self, statement, parameters, **options)
    many = isinstance(parameters, list) and len(parameters) > 1
    first = (parameters[0] if isinstance(parameters, list) else parameters) or {}
    key = (id(statement), tuple(first))
    prepared = _prepared.get(key)
    if prepared is None:
        prepared = _prepared[key] = _Prepared(self, statement, list(first))
    statements_sent[type(statement).__name__] += 1
    pooled = await self.get_raw_connection()
    adapter, driver = pooled.dbapi_connection, pooled.driver_connection
    async with adapter._execute_mutex:
        if adapter._transaction is None:  # SQLAlchemy begins lazily, at the first statement
            await adapter._start_transaction()
        if many:
            await driver.executemany(prepared.sql, [prepared.arguments(p) for p in parameters])
            rows = Rows()
            rows.rowcount = len(parameters)
            return rows
        if prepared.row_type is None:  # no RETURNING: the count is in the command tag
            status = await driver.execute(prepared.sql, *prepared.arguments(first))
            rows = Rows()
            rows.rowcount = int(status.rsplit(" ", 1)[-1])
            return rows
        records = await driver.fetch(prepared.sql, *prepared.arguments(first))
    rows = Rows(prepared.row_type(*[process(value) if process else value
                                    for process, value in zip(prepared.result_processors,
                                                              record, strict=True)])
                for record in records)
    rows.rowcount = len(records)
    return rows


def install() -> None:
    AsyncConnection.execute = _execute  # type: ignore[method-assign]
