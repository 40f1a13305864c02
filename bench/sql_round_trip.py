"""What one SQL round trip costs the shop's process, through SQLAlchemy and raw asyncpg.

`order_placement.py` shows the server's one core saturated at ~7-8 ms of CPU
per order; `order_path_profile.py` shows where, spread thin. This one
measures the floor under all of it: the process CPU of a primary-key SELECT,
a one-row UPDATE, a transaction's BEGIN + COMMIT and a pool checkout, each
through the shop's own engine (`build_engine`: its pool, its listeners that
time every statement) and through a raw asyncpg connection with a prepared
statement, alternated in rounds in one process on a fresh PostgreSQL
database. It then prices an order's SQL with the counts `order_placement.py`
prints (`--statements`, `--transactions`, `--checkouts`) and prints how many
orders per second one core could place if it did nothing but that SQL: the
ceiling any Python work on top of it lowers. It measures `pgbench` (TPC-B, as
`order_placement.py` does) in the same run and prints each ceiling against
issue 11's target of 0.15 x its tps: a client whose SQL alone cannot reach
the target cannot reach it with a framework around it either.

    .venv/bin/python bench/sql_round_trip.py
    .venv/bin/python bench/sql_round_trip.py --operations 5000 --rounds 5 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from harness import (
    Services,
    log,
    machine,
    pgbench_tps,
    print_machine,
    run_main,
    sqlalchemy_url,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shop.infrastructure.db.engine import build_engine
from shop.settings import Settings

ROWS = 100
_rows_metadata = sa.MetaData()
_table = sa.Table(
    "bench_rows", _rows_metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("on_hand", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
_SELECT = sa.select(_table).where(_table.c.id == sa.bindparam("row_id"))
_UPDATE = (sa.update(_table).where(_table.c.id == sa.bindparam("row_id"))
           .values(on_hand=_table.c.on_hand - 1, version=_table.c.version + 1))
_RAW_SELECT = "SELECT id, name, on_hand, version FROM bench_rows WHERE id = $1"
_RAW_UPDATE = ("UPDATE bench_rows SET on_hand = on_hand - 1, version = version + 1 "
               "WHERE id = $1")

Operation = Callable[[int], Awaitable[Any]]


class Probes:
    """The operations measured, over one held SQLAlchemy connection and one raw one."""

    def __init__(self, engine: AsyncEngine, conn: AsyncConnection, raw: Any,
                 ids: list[uuid.UUID]) -> None:
        self._engine, self._conn, self._raw, self._ids = engine, conn, raw, ids
        self._raw_select: Any = None
        self._raw_update: Any = None

    async def prepare(self) -> None:
        self._raw_select = await self._raw.prepare(_RAW_SELECT)
        self._raw_update = await self._raw.prepare(_RAW_UPDATE)

    def _id(self, n: int) -> uuid.UUID:
        return self._ids[n % len(self._ids)]

    async def sa_select(self, n: int) -> Any:
        async with self._conn.begin():
            return (await self._conn.execute(_SELECT, {"row_id": self._id(n)})).first()

    async def sa_select_update(self, n: int) -> Any:
        async with self._conn.begin():
            await self._conn.execute(_SELECT, {"row_id": self._id(n)})
            return await self._conn.execute(_UPDATE, {"row_id": self._id(n)})

    async def sa_checkout(self, n: int) -> Any:
        async with self._engine.connect() as conn, conn.begin():
            return (await conn.execute(_SELECT, {"row_id": self._id(n)})).first()

    async def raw_select(self, n: int) -> Any:
        async with self._raw.transaction():
            return await self._raw_select.fetchrow(self._id(n))

    async def raw_select_update(self, n: int) -> Any:
        async with self._raw.transaction():
            await self._raw_select.fetchrow(self._id(n))
            return await self._raw_update.fetch(self._id(n))

    async def raw_statement_only(self, n: int) -> Any:
        return await self._raw_select.fetchrow(self._id(n))

    async def sa_statement_only(self, n: int) -> Any:
        # Autobegun on the first statement, committed once after the whole loop.
        return (await self._conn.execute(_SELECT, {"row_id": self._id(n)})).first()


async def cpu_us_per_call(operation: Operation, count: int) -> float:
    for n in range(min(200, count)):  # warm the statement caches
        await operation(n)
    started = time.process_time()
    for n in range(count):
        await operation(n)
    return (time.process_time() - started) / count * 1e6


async def measure(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    engine = build_engine(settings)
    ids = [uuid.uuid4() for _ in range(ROWS)]
    async with engine.begin() as conn:
        await conn.run_sync(_rows_metadata.create_all)
        await conn.execute(sa.insert(_table), [
            {"id": row_id, "name": f"row {n}", "on_hand": 10_000_000, "version": 1}
            for n, row_id in enumerate(ids)])
    names = ("sa_statement_only", "raw_statement_only", "sa_select", "raw_select",
             "sa_select_update", "raw_select_update", "sa_checkout")
    samples: dict[str, list[float]] = {name: [] for name in names}
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        probes = Probes(engine, conn, raw, ids)
        await probes.prepare()
        for round_no in range(args.rounds):
            for name in names:
                samples[name].append(await cpu_us_per_call(getattr(probes, name),
                                                           args.operations))
                if conn.in_transaction():
                    await conn.commit()
            log(f"round {round_no + 1}/{args.rounds}: " + ", ".join(
                f"{name} {values[-1]:.0f}" for name, values in samples.items()))
    await engine.dispose()
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


def costs(median: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per statement, per transaction (BEGIN + COMMIT) and per checkout, in us of CPU."""
    sa_statement = median["sa_select_update"] - median["sa_select"]
    raw_statement = median["raw_select_update"] - median["raw_select"]
    return {
        "sqlalchemy": {"statement": sa_statement,
                       "transaction": median["sa_select"] - sa_statement,
                       "checkout": median["sa_checkout"] - median["sa_select"]},
        "asyncpg": {"statement": raw_statement,
                    "transaction": median["raw_select"] - raw_statement,
                    "checkout": 0.0},
    }


def order_ms(cost: dict[str, float], args: argparse.Namespace) -> float:
    return (args.statements * cost["statement"] + args.transactions * cost["transaction"]
            + args.checkouts * cost["checkout"]) / 1000


TARGET_RATIO = 0.15
"""Issue 11: orders/s >= 0.15 x pgbench's tps (500 products, 32 connections)."""


def report(median: dict[str, float], args: argparse.Namespace,
           pgbench: dict[str, Any]) -> dict[str, Any]:
    per = costs(median)
    orders = {client: order_ms(cost, args) for client, cost in per.items()}
    target = TARGET_RATIO * pgbench["tps"]
    return {"median_us_per_call": median, "costs_us": per, "pgbench": pgbench,
            "target_orders_per_second": round(target),
            "order": {"statements": args.statements, "transactions": args.transactions,
                      "checkouts": args.checkouts},
            "order_sql_cpu_ms": {k: round(v, 2) for k, v in orders.items()},
            "one_core_ceiling_orders_per_second": {
                k: round(1000 / v) for k, v in orders.items()}}


def print_report(result: dict[str, Any]) -> None:
    print("\nprocess CPU per call, us (medians of the rounds):")
    for name, value in result["median_us_per_call"].items():
        print(f"  {name:20s} {value:7.1f}")
    print("\nderived, us of CPU:      statement   BEGIN+COMMIT   pool checkout")
    for client, cost in result["costs_us"].items():
        print(f"  {client:20s} {cost['statement']:9.1f} {cost['transaction']:14.1f} "
              f"{cost['checkout']:15.1f}")
    sa_cost, raw_cost = result["costs_us"]["sqlalchemy"], result["costs_us"]["asyncpg"]
    print(f"  SQLAlchemy / asyncpg: statement {sa_cost['statement'] / raw_cost['statement']:.2f}x,"
          f" transaction {sa_cost['transaction'] / raw_cost['transaction']:.2f}x")
    order = result["order"]
    print(f"\nan order's SQL ({order['statements']} statements, {order['transactions']} "
          f"transactions, {order['checkouts']} checkouts):")
    for client, ms in result["order_sql_cpu_ms"].items():
        ceiling = result["one_core_ceiling_orders_per_second"][client]
        print(f"  {client:20s} {ms:5.2f} ms of CPU -> one core doing nothing else: "
              f"{ceiling} orders/s")
    target = result["target_orders_per_second"]
    print(f"\nreference: {result['pgbench']['command']}: {result['pgbench']['tps']:.0f} tps; "
          f"issue 11's target {TARGET_RATIO} x that = {target} orders/s")
    for client, ceiling in result["one_core_ceiling_orders_per_second"].items():
        verdict = "MET" if ceiling >= target else "NOT MET"
        print(f"ceiling {client:10s} {ceiling} / {target} = {ceiling / target:.2f} "
              f"(must be >= 1 before any other work)  {verdict}")
    print("The Python work of an order (framework, domain, Redis, the relay) comes on top "
          "of the ceiling: bench/order_placement.py measures the whole.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--operations", type=int, default=3000, help="calls per probe and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--statements", type=float, default=8.4,
                        help="SQL statements per order (order_placement.py, flat)")
    parser.add_argument("--transactions", type=float, default=2.15,
                        help="PostgreSQL transactions per order (order_placement.py, flat)")
    parser.add_argument("--checkouts", type=float, default=2.0,
                        help="pool checkouts per order (a unit of work each)")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.operations < 1 or args.rounds < 1:
        parser.error("--operations and --rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = f"shop_bench_{secrets.token_hex(4)}"
    services = Services(args.admin_dsn, "redis://127.0.0.1:6379/0")
    services.create_database(database)
    settings = Settings(database_url=sqlalchemy_url(args.admin_dsn, database))
    before = machine()
    try:
        log(f"database {database}: {args.rounds} rounds of {args.operations} calls per probe")
        median = asyncio.run(measure(args, settings))
        log(f"pgbench reference ({args.pgbench_seconds} s)")
        dsn = settings.database_url or ""
        pgbench = pgbench_tps(services, dsn.replace("postgresql+asyncpg://", "postgresql://", 1),
                              args.pgbench_seconds)
        result = report(median, args, pgbench)
    finally:
        services.drop_database(database)
        log(f"dropped database {database}")
    result["machine"] = {"before": before, "after": machine()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_machine(before, result["machine"]["after"])
        print_report(result)
    return 0


if __name__ == "__main__":
    run_main(main)
