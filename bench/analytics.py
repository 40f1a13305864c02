"""Analytics benchmark: the 30-day summary against a single product read, on one server.

With 100,000 orders over a year written straight into a fresh PostgreSQL
database (`bench/sales_history.py`) and the projections filled by
`shop analytics rebuild`, a real `shop serve` (PostgreSQL + Redis profile) is
loaded with `wrk`, interleaved round by round:

- `product`: `GET /api/v1/products/{id}` (the product cache), the reference;
- `summary`: `GET /api/v1/analytics/summary` (admin token; the default window,
  the last 30 days), read from the projections.

It prints req/s, p50/p99, CPU and PostgreSQL transactions per request of each,
the ratio summary/product (target >= 0.5), and how long loading and the
rebuild took. With `--cache-seconds 0` the server reuses no summary, which
shows what the projection reads alone cost.

Usage (from the repository root):

    .venv/bin/python bench/analytics.py [--orders 100000] [--days 365] [--duration 10]
        [--rounds 3] [--cache-seconds 0.5] [--json]

Everything it creates (a database `shop_bench_<hex>`, Redis keys under
`shop-bench-<hex>:`, a temp dir with the server log) is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from typing import Any

from harness import (
    BenchError,
    Deployment,
    Server,
    WrkResult,
    add_common_arguments,
    check_common_arguments,
    children_cpu,
    cpu_percent,
    cpu_sample,
    cpu_used,
    deployment,
    ensure_wrk,
    log,
    machine,
    parse_wrk,
    print_machine,
    run_main,
    run_wrk,
)
from sales_history import load_sales_history

MAX_ERROR_SHARE = 0.01
REBUILD_TIMEOUT_SECONDS = 1800
ENDPOINTS = ("product", "summary")
TARGET_RATIO = 0.5


@dataclass
class Run:
    endpoint: str
    round: int
    wrk: WrkResult
    cpu_percent: dict[str, float]
    pg_xacts_per_request: float | None


def wrk_run(wrk: str, url: str, token: str, args: argparse.Namespace, seconds: float
            ) -> WrkResult:
    return parse_wrk(run_wrk(wrk, url, threads=args.threads, connections=args.connections,
                             duration=seconds,
                             extra=["-H", f"Authorization: Bearer {token}"]))


def measure(wrk: str, endpoint: str, url: str, token: str, rnd: int, args: argparse.Namespace,
            bench: Deployment) -> Run:
    server = bench.servers[0]
    groups = {"server": [server.pgid]}
    cpu0, wrk0 = cpu_sample(groups), children_cpu()
    pg0 = bench.services.pg_transactions(bench.database)
    started = time.monotonic()
    result = wrk_run(wrk, url, token, args, args.duration)
    elapsed = time.monotonic() - started
    cpu1, wrk1 = cpu_sample(groups), children_cpu()
    time.sleep(1.1)  # PostgreSQL flushes backend statistics at most once a second
    pg1 = bench.services.pg_transactions(bench.database)
    bench.check_alive()
    if result.errors > MAX_ERROR_SHARE * max(result.requests, 1):
        raise BenchError(f"{endpoint}: {result.errors} failed requests of {result.requests}: "
                         f"these figures mean nothing; see {server.log_path}")
    cpu = cpu_percent(cpu_used(cpu0, cpu1, ("server", "redis", "postgres")), elapsed)
    cpu["wrk"] = round(100.0 * (wrk1 - wrk0) / elapsed, 1)
    per_request = None if pg0 is None or pg1 is None else round(
        (pg1 - pg0) / max(result.requests, 1), 3)
    return Run(endpoint, rnd, result, cpu, per_request)


def load_history(database_url: str, args: argparse.Namespace) -> float:
    from sqlalchemy.ext.asyncio import create_async_engine

    async def load() -> None:
        engine = create_async_engine(database_url)
        try:
            loaded = await load_sales_history(engine, orders_count=args.orders, days=args.days,
                                              products_count=args.products)
            log(f"loaded {loaded.orders} orders ({loaded.lines} lines) over {args.days} days, "
                f"{len(loaded.product_ids)} products")
        finally:
            await engine.dispose()

    started = time.monotonic()
    asyncio.run(load())
    return time.monotonic() - started


def check_answers(server: Server, token: str) -> tuple[str, dict[str, Any]]:
    status, body = server.request("GET", "/api/v1/analytics/summary", token=token)
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"the summary answered {status}: {str(body)[:300]}")
    if not body["top_products"]:
        raise BenchError("the summary of the last 30 days has no top products: nothing loaded?")
    product_id = str(body["top_products"][0]["product_id"])
    for _ in range(5):
        status, product = server.request("GET", f"/api/v1/products/{product_id}")
        if status != 200:
            raise BenchError(f"GET product answered {status}: {product}")
    return product_id, body


def summarise(runs: list[Run]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        mine = [r for r in runs if r.endpoint == endpoint]
        pg = [r.pg_xacts_per_request for r in mine if r.pg_xacts_per_request is not None]
        summary[endpoint] = {
            "requests_per_sec": round(statistics.median(r.wrk.requests_per_sec for r in mine), 1),
            "p50_ms": round(statistics.median(r.wrk.p50_ms for r in mine), 2),
            "p99_ms": round(statistics.median(r.wrk.p99_ms for r in mine), 2),
            "server_cpu_percent": statistics.median(r.cpu_percent["server"] for r in mine),
            "postgres_cpu_percent": statistics.median(r.cpu_percent["postgres"] for r in mine),
            "pg_xacts_per_request": statistics.median(pg) if pg else None,
            "rounds": [r.wrk.requests_per_sec for r in mine],
        }
    return summary


def print_report(report: dict[str, Any]) -> None:
    cfg = report["config"]
    print()
    print(f"shop analytics benchmark: {cfg['orders']} orders over {cfg['days']} days, "
          f"{cfg['products']} products; wrk -t{cfg['threads']} -c{cfg['connections']} "
          f"-d{cfg['duration']}s, {cfg['rounds']} interleaved rounds, medians; "
          f"SHOP_ANALYTICS_CACHE_SECONDS={cfg['cache_seconds']}")
    print_machine(report["machine_before"], report["machine_after"])
    print(f"loading the orders: {report['load_seconds']:.1f} s; "
          f"`shop analytics rebuild`: {report['rebuild_seconds']:.1f} s")
    print(f"30-day summary: revenue {report['revenue']}, {report['orders_count']} orders")
    print()
    header = f"{'endpoint':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'srv%':>7}{'pg%':>6}" \
             f"{'pg tx/req':>11}"
    print(header)
    print("-" * len(header))
    for endpoint in ENDPOINTS:
        s = report["summary"][endpoint]
        pg = "n/a" if s["pg_xacts_per_request"] is None else f"{s['pg_xacts_per_request']:.2f}"
        print(f"{endpoint:<10}{s['requests_per_sec']:>10.0f}{s['p50_ms']:>9.2f}"
              f"{s['p99_ms']:>9.2f}{s['server_cpu_percent']:>7.0f}"
              f"{s['postgres_cpu_percent']:>6.0f}{pg:>11}")
    for endpoint, path in report["paths"].items():
        print(f"  {endpoint:<8} = GET {path}")
    print()
    value = report["ratio_summary_product"]
    verdict = "MET" if value >= TARGET_RATIO else "NOT MET"
    print(f"ratio summary/product = {value:.2f} (target >= {TARGET_RATIO:.2f})  {verdict}"
          f"   per round: {report['ratio_per_round']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--products", type=int, default=200)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--cache-seconds", type=float, default=0.5,
                   help="SHOP_ANALYTICS_CACHE_SECONDS of the server (default 0.5; 0: off)")
    add_common_arguments(p, ready_timeout=60.0)
    args = p.parse_args(argv)
    check_common_arguments(p, args)
    args.server_env.append(f"SHOP_ANALYTICS_CACHE_SECONDS={args.cache_seconds}")
    return args


def rebuild(bench: Deployment, server: Server) -> float:
    """`shop analytics rebuild` (longer than the harness's 120 s command limit on big loads)."""
    started = time.monotonic()
    with server.log_path.open("ab") as out:
        out.write(b"\n$ shop analytics rebuild\n")
        out.flush()
        done = subprocess.run([server.shop, "analytics", "rebuild"], env=bench.env,
                              cwd=bench.workdir, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=REBUILD_TIMEOUT_SECONDS,
                              check=False)
    if done.returncode != 0:
        raise BenchError(f"`shop analytics rebuild` failed; log: {server.log_path}")
    return time.monotonic() - started


def scenario(args: argparse.Namespace, wrk: str, bench: Deployment) -> dict[str, Any]:
    server = Server("server-0", args.shop, bench.env, bench.workdir)
    bench.servers.append(server)
    server.run_command("migrate")
    load_seconds = load_history(bench.env["SHOP_DATABASE_URL"], args)
    rebuild_seconds = rebuild(bench, server)
    log(f"rebuild took {rebuild_seconds:.1f} s")
    server.start(1, args.ready_timeout)
    token = bench.admin_token()
    product_id, first = check_answers(server, token)
    paths = {"product": f"/api/v1/products/{product_id}",
             "summary": "/api/v1/analytics/summary"}
    for endpoint in ENDPOINTS:
        wrk_run(wrk, server.base + paths[endpoint], token, args, args.warmup)
    runs: list[Run] = []
    for rnd in range(args.rounds):
        for endpoint in ENDPOINTS if rnd % 2 == 0 else ENDPOINTS[::-1]:
            run = measure(wrk, endpoint, server.base + paths[endpoint], token, rnd, args, bench)
            runs.append(run)
            log(f"round {rnd + 1}/{args.rounds} {endpoint:<8} "
                f"{run.wrk.requests_per_sec:>9.0f} req/s  p50 {run.wrk.p50_ms:.2f} ms  "
                f"cpu {run.cpu_percent}  pg tx/req {run.pg_xacts_per_request}")
    summary = summarise(runs)
    per_round = []
    for rnd in range(args.rounds):
        by = {r.endpoint: r.wrk.requests_per_sec for r in runs if r.round == rnd}
        per_round.append(round(by["summary"] / by["product"], 3))
    return {
        "load_seconds": round(load_seconds, 1), "rebuild_seconds": round(rebuild_seconds, 1),
        "revenue": first["revenue"], "orders_count": first["orders_count"],
        "paths": paths, "summary": summary,
        "ratio_summary_product": round(summary["summary"]["requests_per_sec"]
                                       / summary["product"]["requests_per_sec"], 3),
        "ratio_per_round": per_round, "target_ratio": TARGET_RATIO,
        "runs": [asdict(r) for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    machine_before = machine()
    with deployment(args, servers=0, name="analytics") as bench:
        result = scenario(args, wrk, bench)
        machine_after = machine()
    report = {
        "config": {k: getattr(args, k) for k in ("orders", "days", "products", "duration",
                                                 "connections", "threads", "rounds",
                                                 "cache_seconds")},
        "machine_before": machine_before, "machine_after": machine_after, **result,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    run_main(main)
