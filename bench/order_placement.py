"""Order placement benchmark: many customers ordering a few hot products at once.

Starts real `shop serve` process(es) on the PostgreSQL + Redis profile (a fresh
database and Redis prefix, as `catalog_read.py` does), registers customers,
creates a few "hot" products, then places orders from many concurrent
connections (httpx + asyncio) until a bounded number of requests has been sent
or the time limit is reached. It prints:

- placements per second (201s) and requests per second (every answer);
- p50 / p90 / p99 latency of successful placements, and of each other status;
- the count of answers by status code (201 paid, 409 sold out, 402 declined, ...);
- the oversell check, per product and read from the database: initial stock -
  final stock == units in `Paid` orders, no stock negative, no order left
  `Pending`, and the client's own count of units in 201 answers agrees.

Usage (from the repository root):

    .venv/bin/python bench/order_placement.py [--customers 50] [--connections 200]
        [--requests 3000] [--max-seconds 60] [--products 5] [--stock 1000]
        [--decline-share 0.05] [--servers 1] [--workers 1] [--json]

Everything it creates (a database `shop_bench_<hex>`, Redis keys under
`shop-bench-<hex>:`, a temp dir with the server logs) is removed at the end,
whatever happens. Traffic only ever goes to 127.0.0.1. The services, servers,
CPU sampling and clean-up come from `harness.py` (same directory); this file
is the scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import (
    BenchError,
    Deployment,
    Server,
    add_common_arguments,
    check_common_arguments,
    cpu_sample,
    cpu_used,
    deployment,
    log,
    machine,
    percentile,
    print_machine,
    run_main,
)

PASSWORD = "bench-password-1"
SET_UP_CONCURRENCY = 8
"""Registrations in flight at once (each hashes a password with Argon2 on the server)."""


# ------------------------------------------------------------------- set-up


async def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(f"{what} answered {response.status_code}: {response.text[:500]}")
    return response.json()


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> str:
    body = await expect(
        await http.post("/api/v1/auth/token", json={"email": email, "password": password}),
        200, f"sign-in of {email}")
    return str(body["access_token"])


async def seed_products(http: httpx.AsyncClient, admin: str, count: int, stock: int,
                        tag: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {admin}"}
    category = await expect(
        await http.post("/api/v1/categories", json={"name": f"Hot {tag}"}, headers=headers),
        201, "creating the category")
    products = []
    for i in range(count):
        body = {"name": f"Hot product {i}", "price": f"{9 + i}.99", "stock": stock,
                "category_id": category["id"], "sku": f"HOT-{tag}-{i}"}
        products.append(await expect(
            await http.post("/api/v1/products", json=body, headers=headers),
            201, f"creating product {i}"))
    return products


async def register_customers(http: httpx.AsyncClient, count: int, tag: str) -> list[str]:
    """`count` customers registered and signed in; returns their access tokens."""
    gate = asyncio.Semaphore(SET_UP_CONCURRENCY)

    async def one(i: int) -> str:
        email = f"bench-{tag}-{i}@example.com"
        async with gate:
            await expect(await http.post("/api/v1/auth/register", json={
                "email": email, "password": PASSWORD, "full_name": f"Buyer {i}"}),
                201, f"registering {email}")
            return await sign_in(http, email, PASSWORD)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# -------------------------------------------------------------------- the load


@dataclass
class Outcome:
    status: int
    seconds: float
    units: dict[str, int] = field(default_factory=dict)
    """For a 201: units bought per product id."""


@dataclass
class Load:
    outcomes: list[Outcome]
    elapsed: float
    transport_errors: Counter[str]


def random_order(rng: random.Random, products: list[dict[str, Any]], max_lines: int,
                 max_quantity: int, decline_share: float) -> dict[str, Any]:
    lines = rng.sample(products, rng.randint(1, min(max_lines, len(products))))
    token = "tok_chargeDeclined" if rng.random() < decline_share else "tok_visa"
    return {"items": [{"product_id": p["id"], "quantity": rng.randint(1, max_quantity)}
                      for p in lines],
            "payment": {"method": "card", "token": token}}


async def place_orders(bases: list[str], tokens: list[str], products: list[dict[str, Any]],
                       args: argparse.Namespace) -> Load:
    """`args.connections` workers, round-robin over the servers, until the budget is spent."""
    rng = random.Random(args.seed)
    budget = {"left": args.requests}
    deadline = time.monotonic() + args.max_seconds
    outcomes: list[Outcome] = []
    errors: Counter[str] = Counter()
    per_server = max(1, args.connections // len(bases))
    clients = [httpx.AsyncClient(
        base_url=base, timeout=args.request_timeout, trust_env=False,
        limits=httpx.Limits(max_connections=per_server, max_keepalive_connections=per_server))
        for base in bases]

    async def worker(n: int) -> None:
        http = clients[n % len(clients)]
        while budget["left"] > 0 and time.monotonic() < deadline:
            budget["left"] -= 1
            body = random_order(rng, products, args.max_lines, args.max_quantity,
                                args.decline_share)
            headers = {"Authorization": f"Bearer {rng.choice(tokens)}"}
            started = time.perf_counter()
            try:
                response = await http.post("/api/v1/orders", json=body, headers=headers)
            except httpx.HTTPError as error:
                errors[type(error).__name__] += 1
                continue
            seconds = time.perf_counter() - started
            units: dict[str, int] = {}
            if response.status_code == 201:
                for line in response.json()["lines"]:
                    units[line["product_id"]] = line["quantity"]
            outcomes.append(Outcome(response.status_code, seconds, units))

    started = time.monotonic()
    try:
        await asyncio.gather(*(worker(n) for n in range(args.connections)))
    finally:
        for http in clients:
            await http.aclose()
    return Load(outcomes=outcomes, elapsed=time.monotonic() - started, transport_errors=errors)


# ------------------------------------------------------------------ the checks


async def database_state(dsn: str) -> dict[str, Any]:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        stock = {str(r["product_id"]): int(r["on_hand"])
                 for r in await conn.fetch("SELECT product_id, on_hand FROM stock")}
        paid_units = {str(r["product_id"]): int(r["units"]) for r in await conn.fetch(
            "SELECT l.product_id, sum(l.quantity) AS units FROM order_lines l"
            " JOIN orders o ON o.id = l.order_id WHERE o.status = 'Paid'"
            " GROUP BY l.product_id")}
        statuses = {r["status"]: int(r["n"]) for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM orders GROUP BY status")}
        return {"stock": stock, "paid_units": paid_units, "orders_by_status": statuses}
    finally:
        await conn.close()


def oversell_check(products: list[dict[str, Any]], initial: int, state: dict[str, Any],
                   load: Load) -> dict[str, Any]:
    client_units: dict[str, int] = defaultdict(int)
    for outcome in load.outcomes:
        for product_id, quantity in outcome.units.items():
            client_units[product_id] += quantity
    rows = []
    for product in products:
        pid = product["id"]
        final = state["stock"].get(pid)
        paid = state["paid_units"].get(pid, 0)
        rows.append({
            "product_id": pid, "initial": initial, "final": final, "paid_units": paid,
            "units_in_201s": client_units[pid],
            "ok": final is not None and final >= 0 and initial - final == paid
            == client_units[pid],
        })
    negative = [pid for pid, level in state["stock"].items() if level < 0]
    pending = state["orders_by_status"].get("Pending", 0)
    return {"products": rows, "negative_stock": negative, "orders_left_pending": pending,
            "ok": all(r["ok"] for r in rows) and not negative and pending == 0}


def latency_ms(values: list[float]) -> dict[str, float | None]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {"p50": ms(percentile(values, 50)), "p90": ms(percentile(values, 90)),
            "p99": ms(percentile(values, 99)), "max": ms(max(values) if values else None),
            "mean": ms(statistics.fmean(values) if values else None)}


def summarise(load: Load) -> dict[str, Any]:
    by_status: dict[int, list[float]] = defaultdict(list)
    for outcome in load.outcomes:
        by_status[outcome.status].append(outcome.seconds)
    placed = len(by_status.get(201, []))
    return {
        "requests": len(load.outcomes),
        "elapsed_seconds": round(load.elapsed, 2),
        "requests_per_sec": round(len(load.outcomes) / load.elapsed, 1),
        "orders_per_sec": round(placed / load.elapsed, 1),
        "status_counts": {str(s): len(v) for s, v in sorted(by_status.items())},
        "latency_ms": {str(s): latency_ms(v) for s, v in sorted(by_status.items())},
        "transport_errors": dict(load.transport_errors),
    }


def print_report(report: dict[str, Any]) -> None:
    cfg, s, check = report["config"], report["summary"], report["oversell"]
    print()
    print(f"shop order placement benchmark: {cfg['customers']} customers,"
          f" {cfg['connections']} connections, {s['requests']} requests"
          f" (budget {cfg['requests']}, max {cfg['max_seconds']} s) on {cfg['products']} hot"
          f" products of stock {cfg['stock']}; {cfg['servers']} server(s) x"
          f" {cfg['workers']} worker(s)")
    print_machine(report["machine_before"], report["machine_after"])
    print()
    print(f"placements (201): {s['orders_per_sec']:.1f} orders/s   all answers:"
          f" {s['requests_per_sec']:.1f} req/s   over {s['elapsed_seconds']:.1f} s")
    cpu = report["cpu_percent"]
    print(f"CPU, % of one core: server(s) {cpu['server']}, postgres {cpu['postgres']},"
          f" redis {cpu['redis']}, this client {cpu['bench_client']}"
          " (postgres/redis: every such process on the machine)")
    print()
    print(f"{'status':<8}{'count':>8}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for status, count in s["status_counts"].items():
        lat = s["latency_ms"][status]
        print(f"{status:<8}{count:>8}{lat['p50']:>10}{lat['p90']:>10}{lat['p99']:>10}"
              f"{lat['max']:>10}")
    if s["transport_errors"]:
        print(f"transport errors: {s['transport_errors']}")
    print()
    print("oversell check (database): initial - final == units in Paid orders == units in 201s")
    for row in check["products"]:
        print(f"  {row['product_id']}: {row['initial']} - {row['final']} ="
              f" {row['initial'] - (row['final'] or 0)}; paid units {row['paid_units']};"
              f" units in 201s {row['units_in_201s']}  {'ok' if row['ok'] else 'MISMATCH'}")
    print(f"  orders by status: {report['orders_by_status']}; negative stock:"
          f" {check['negative_stock'] or 'none'}; left Pending: {check['orders_left_pending']}")
    print(f"oversell check: {'PASSED' if check['ok'] else 'FAILED'}")
    if report.get("server_error_kinds"):
        print()
        print("server errors logged (error type: last line of the exception):")
        for kind, count in report["server_error_kinds"].items():
            print(f"  {count:>5} x {kind}")


def error_kinds(servers: list[Server]) -> dict[str, int]:
    """`error_type` and exception line of each 'unhandled error' the servers logged."""
    kinds: Counter[str] = Counter()
    for server in servers:
        try:
            text = server.log_path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if '"unhandled error"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                kinds["(unparsed log line)"] += 1
                continue
            last = str(entry.get("exception", "")).strip().splitlines()[-1:] or [""]
            kinds[f"{entry.get('error_type')}: {last[0][:160]}"] += 1
    return dict(kinds)


# ------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--customers", type=int, default=50, help="registered buyers (default 50)")
    p.add_argument("--connections", type=int, default=200,
                   help="concurrent connections, split over the servers (default 200)")
    p.add_argument("--requests", type=int, default=3000,
                   help="order placements to send in all (default 3000)")
    p.add_argument("--max-seconds", type=float, default=60.0,
                   help="stop sending after this long, whatever is left (default 60)")
    p.add_argument("--products", type=int, default=5, help="hot products (default 5)")
    p.add_argument("--stock", type=int, default=1000, help="initial stock of each (default 1000)")
    p.add_argument("--max-lines", type=int, default=2, help="lines per order, 1..N (default 2)")
    p.add_argument("--max-quantity", type=int, default=3,
                   help="units per line, 1..N (default 3)")
    p.add_argument("--decline-share", type=float, default=0.05,
                   help="share of orders paid with a declined card (default 0.05)")
    p.add_argument("--servers", type=int, default=1,
                   help="`shop serve` processes sharing the database (default 1)")
    p.add_argument("--workers", type=int, default=1, help="shop serve --workers (default 1)")
    p.add_argument("--request-timeout", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    add_common_arguments(p)
    args = p.parse_args(argv)
    check_common_arguments(p, args)
    if min(args.customers, args.connections, args.requests, args.products, args.stock,
           args.max_lines, args.max_quantity, args.servers, args.workers) < 1:
        p.error("counts must be >= 1")
    if not 0 <= args.decline_share <= 1:
        p.error("--decline-share must be between 0 and 1")
    if args.max_quantity > 1000 or args.max_lines > 100:
        p.error("the API allows at most 100 lines of at most 1000 units")
    return args


async def run(args: argparse.Namespace, bench: Deployment) -> dict[str, Any]:
    servers = bench.servers
    bases = [server.base for server in servers]
    async with httpx.AsyncClient(base_url=bases[0], timeout=60, trust_env=False) as http:
        admin = await sign_in(http, bench.admin_email, bench.admin_password)
        products = await seed_products(http, admin, args.products, args.stock, bench.tag)
        log(f"registering {args.customers} customers")
        tokens = await register_customers(http, args.customers, bench.tag)
    log(f"placing up to {args.requests} orders over {args.connections} connections"
        f" to {len(bases)} server(s)")
    groups = {"server": [s.pgid for s in servers]}
    cpu0 = cpu_sample(groups)
    self0 = time.process_time()
    load = await place_orders(bases, tokens, products, args)
    self_cpu = time.process_time() - self0
    used = cpu_used(cpu0, cpu_sample(groups), groups=("server", "redis", "postgres"))
    await asyncio.sleep(0.5)  # let any answer in flight settle before reading the database
    state = await database_state(bench.database_dsn)
    return {
        "products": products,
        "summary": summarise(load),
        "oversell": oversell_check(products, args.stock, state, load),
        "orders_by_status": state["orders_by_status"],
        "cpu_percent": {
            "server": round(100.0 * used["server"] / load.elapsed, 1),
            "postgres": round(100.0 * used["postgres"] / load.elapsed, 1),
            "redis": round(100.0 * used["redis"] / load.elapsed, 1),
            "bench_client": round(100.0 * self_cpu / load.elapsed, 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine_before = machine()
    with deployment(args, servers=args.servers, workers=args.workers, name="bench-orders") \
            as bench:
        result = asyncio.run(run(args, bench))
        bench.check_alive()
        report = {
            "config": {k: getattr(args, k) for k in (
                "customers", "connections", "requests", "max_seconds", "products", "stock",
                "max_lines", "max_quantity", "decline_share", "servers", "workers", "seed")},
            "machine_before": machine_before,
            "machine_after": machine(),
            **result,
        }
        server_errors = sum(n for status, n in report["summary"]["status_counts"].items()
                            if status.startswith("5") and status not in {"502", "503"})
        report["server_error_kinds"] = error_kinds(bench.servers) if server_errors else {}
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report)
        if server_errors or not report["oversell"]["ok"]:
            bench.keep_logs = True
            return 3
        return 0


if __name__ == "__main__":
    run_main(main)
