"""Catalog read benchmark: product read (Redis-cached) and product list against a trivial endpoint.

Starts a real `shop serve` on the PostgreSQL + Redis profile, loads it with `wrk`
and prints, measured in the same run and interleaved round by round:

- requests/s, p50 and p99 latency of `GET /health/live` (the trivial endpoint),
  `GET /api/v1/products/{id}` (served from the cache) and
  `GET /api/v1/products?limit=20` (the list);
- the ratios product/trivial (target >= 0.70) and list/trivial;
- per endpoint, what each request costs elsewhere: CPU of the server, of wrk, of
  Redis and of PostgreSQL, Redis commands per request and PostgreSQL
  transactions per request, so a reader can see what limits the figures.

Usage (from the repository root):

    .venv/bin/python bench/catalog_read.py [--duration 10] [--connections 50]
        [--threads 1] [--rounds 3] [--workers 1] [--json]

Everything it creates (a database `shop_bench_<hex>`, Redis keys under
`shop-bench-<hex>:`, a temp dir with the server log) is removed at the end,
whatever happens. Traffic only ever goes to 127.0.0.1.

The services, the server, CPU sampling, wrk and the clean-up come from
`harness.py` (same directory); this file is the scenario.
"""

from __future__ import annotations

import argparse
import json
import statistics
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

ENDPOINTS: tuple[str, ...] = ("trivial", "product", "list")
TARGET_RATIO = 0.70
# Above this share of failed requests (non-2xx/3xx plus socket errors) a run means nothing.
MAX_ERROR_SHARE = 0.01


# ------------------------------------------------------------------- the catalog


def seed_catalog(server: Server, token: str, products: int, tag: str) -> list[str]:
    status, body = server.request("POST", "/api/v1/categories", {"name": f"Bench {tag}"}, token)
    if status != 201 or not isinstance(body, dict):
        raise BenchError(f"creating the category answered {status}: {body}")
    category_id = body["id"]
    ids: list[str] = []
    for i in range(products):
        payload = {
            "name": f"Bench product {i:03d}",
            "price": "12.50",
            "category_id": category_id,
            "stock": 100,
            "sku": f"BENCH-{tag}-{i:03d}",
        }
        status, body = server.request("POST", "/api/v1/products", payload, token)
        if status != 201 or not isinstance(body, dict):
            raise BenchError(f"creating product {i} answered {status}: {body}")
        ids.append(str(body["id"]))
    return ids


def check_reads(server: Server, product_id: str, warm: int = 5) -> None:
    for _ in range(warm):
        status, body = server.request("GET", f"/api/v1/products/{product_id}")
        if status != 200 or not isinstance(body, dict) or body.get("id") != product_id:
            raise BenchError(f"GET product {product_id} answered {status}: {body}")
    status, body = server.request("GET", "/api/v1/products?limit=20")
    if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) != 20:
        raise BenchError(f"GET product list answered {status}: {str(body)[:500]}")
    status, body = server.request("GET", "/health/live")
    if status != 200:
        raise BenchError(f"GET /health/live answered {status}: {body}")


# ------------------------------------------------------------------ measurement


@dataclass
class Run:
    endpoint: str
    round: int
    wrk: WrkResult
    cpu_percent: dict[str, float]
    redis_cmds_per_request: float | None
    pg_xacts_per_request: float | None


def load(wrk: str, url: str, args: argparse.Namespace, duration: float) -> WrkResult:
    return parse_wrk(run_wrk(wrk, url, threads=args.threads, connections=args.connections,
                             duration=duration))


def measure(wrk: str, endpoint: str, url: str, rnd: int, args: argparse.Namespace,
            bench: Deployment) -> Run:
    server, services = bench.servers[0], bench.services
    groups = {"server": [server.pgid]}
    cpu0, wrk0 = cpu_sample(groups), children_cpu()
    redis0, pg0 = services.redis_commands(), services.pg_transactions(bench.database)
    t0 = time.monotonic()
    result = load(wrk, url, args, args.duration)
    elapsed = time.monotonic() - t0
    cpu1, wrk1 = cpu_sample(groups), children_cpu()
    time.sleep(1.1)  # PostgreSQL flushes backend statistics at most once a second
    redis1, pg1 = services.redis_commands(), services.pg_transactions(bench.database)
    if not server.alive():
        raise BenchError(f"the server died during the {endpoint} run; log: {server.log_path}")
    if result.errors > MAX_ERROR_SHARE * max(result.requests, 1):
        raise BenchError(
            f"{endpoint}: {result.non_2xx_3xx} non-2xx/3xx answers and socket errors"
            f" {result.socket_errors} for {result.requests} requests: these figures mean"
            f" nothing; see {server.log_path}"
        )
    if result.errors:
        log(f"warning: {endpoint}: {result.errors} failed requests of {result.requests}")
    used = cpu_used(cpu0, cpu1, groups=("server", "redis", "postgres"))
    used["wrk"] = wrk1 - wrk0
    # The server's own requests to Redis/PG outside wrk's window (none expected) count too.
    requests = max(result.requests, 1)
    return Run(
        endpoint=endpoint,
        round=rnd,
        wrk=result,
        cpu_percent=cpu_percent(used, elapsed),
        redis_cmds_per_request=(
            None if redis0 is None or redis1 is None else round((redis1 - redis0) / requests, 3)
        ),
        pg_xacts_per_request=(
            None if pg0 is None or pg1 is None else round((pg1 - pg0) / requests, 3)
        ),
    )


def summarise(runs: list[Run]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for endpoint in ENDPOINTS:
        mine = [r for r in runs if r.endpoint == endpoint]
        if not mine:
            continue

        def med(values: list[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return round(statistics.median(known), 3) if known else None

        summary[endpoint] = {
            "requests_per_sec": med([r.wrk.requests_per_sec for r in mine]),
            "p50_ms": med([r.wrk.p50_ms for r in mine]),
            "p99_ms": med([r.wrk.p99_ms for r in mine]),
            "cpu_percent": {
                k: med([r.cpu_percent.get(k) for r in mine]) for k in mine[0].cpu_percent
            },
            "redis_cmds_per_request": med([r.redis_cmds_per_request for r in mine]),
            "pg_xacts_per_request": med([r.pg_xacts_per_request for r in mine]),
            "rounds": [r.wrk.requests_per_sec for r in mine],
        }
    return summary


def ratio(summary: dict[str, Any], num: str, den: str = "trivial") -> float | None:
    try:
        return float(summary[num]["requests_per_sec"]) / float(summary[den]["requests_per_sec"])
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def per_round_ratios(runs: list[Run], num: str, den: str = "trivial") -> list[float]:
    out = []
    for rnd in sorted({r.round for r in runs}):
        a = [r for r in runs if r.round == rnd and r.endpoint == num]
        b = [r for r in runs if r.round == rnd and r.endpoint == den]
        if a and b and b[0].wrk.requests_per_sec:
            out.append(round(a[0].wrk.requests_per_sec / b[0].wrk.requests_per_sec, 3))
    return out


def print_report(report: dict[str, Any]) -> None:
    cfg = report["config"]
    print()
    print(
        f"shop catalog read benchmark: wrk -t{cfg['threads']} -c{cfg['connections']}"
        f" -d{cfg['duration']}s, {cfg['rounds']} interleaved round(s), medians;"
        f" server --workers {cfg['workers']}"
    )
    print_machine(report["machine_before"], report["machine_after"])
    print()
    header = (
        f"{'endpoint':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'srv%':>7}{'wrk%':>7}{'redis%':>8}{'pg%':>6}{'redis/req':>11}{'pg tx/req':>11}"
    )
    print(header)
    print("-" * len(header))
    for endpoint in report["paths"]:
        s = report["summary"].get(endpoint)
        if not s:
            continue
        cpu = s["cpu_percent"]

        def num(value: float | None, fmt: str) -> str:
            return "n/a" if value is None else format(value, fmt)

        print(
            f"{endpoint:<10}{s['requests_per_sec']:>10.0f}{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}"
            f"{num(cpu.get('server'), '.0f'):>7}{num(cpu.get('wrk'), '.0f'):>7}"
            f"{num(cpu.get('redis'), '.0f'):>8}{num(cpu.get('postgres'), '.0f'):>6}"
            f"{num(s['redis_cmds_per_request'], '.2f'):>11}"
            f"{num(s['pg_xacts_per_request'], '.2f'):>11}"
        )
    for endpoint, path in report["paths"].items():
        print(f"  {endpoint:<8} = GET {path}")
    print()
    pr, lr = report["ratio_product_trivial"], report["ratio_list_trivial"]
    verdict = "" if pr is None else ("  MET" if pr >= TARGET_RATIO else "  NOT MET")
    print(
        f"ratio product/trivial = {pr if pr is None else format(pr, '.2f')}"
        f" (target >= {TARGET_RATIO:.2f}){verdict}"
        f"   per round: {report['ratio_product_trivial_per_round']}"
    )
    print(
        f"ratio list/trivial = {lr if lr is None else format(lr, '.2f')}"
        f"   per round: {report['ratio_list_trivial_per_round']}"
    )
    print(
        "cpu% = share of one core during the run (srv = the server's whole process group;"
        " redis/pg = every redis-server/postgres process on the machine);\n"
        "redis/req = Redis commands per request (every client of the shared Redis counts);"
        " pg tx/req = transactions per request in the bench database."
    )


# ------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    p.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--workers", type=int, default=1, help="shop serve --workers (default 1)")
    p.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load per endpoint (default 2)"
    )
    p.add_argument("--products", type=int, default=100, help="products to create (default 100)")
    add_common_arguments(p)
    args = p.parse_args(argv)
    check_common_arguments(p, args)
    if args.threads > args.connections:
        p.error("--threads must not exceed --connections")
    if min(args.duration, args.connections, args.threads, args.rounds, args.workers) < 1:
        p.error("--duration, --connections, --threads, --rounds and --workers must be >= 1")
    if args.products < 20:
        p.error("--products must be >= 20 (the list reads a page of 20)")
    return args


def scenario(args: argparse.Namespace, wrk: str, bench: Deployment) -> dict[str, Any]:
    """Seed the catalog, warm up, run the interleaved rounds; the report of the run."""
    server = bench.servers[0]
    ids = seed_catalog(server, bench.admin_token(), args.products, bench.tag)
    product_id = ids[len(ids) // 2]
    check_reads(server, product_id)
    cached = [k for k in bench.services.redis_keys(bench.prefix) if product_id in k]
    log(f"{len(ids)} products; reading {product_id}; Redis keys naming it: {cached or 'none'}")

    paths = {
        "trivial": "/health/live",
        "product": f"/api/v1/products/{product_id}",
        "list": "/api/v1/products?limit=20",
    }
    if args.warmup > 0:
        log(f"warm-up: {args.warmup} s per endpoint (not measured)")
        for endpoint in ENDPOINTS:
            load(wrk, server.base + paths[endpoint], args, args.warmup)

    runs: list[Run] = []
    for rnd in range(args.rounds):
        # Rotate the order each round so no endpoint always runs first or last.
        order = ENDPOINTS[rnd % 3 :] + ENDPOINTS[: rnd % 3]
        for endpoint in order:
            run = measure(wrk, endpoint, server.base + paths[endpoint], rnd, args, bench)
            runs.append(run)
            log(
                f"round {rnd + 1}/{args.rounds} {endpoint:<8}"
                f" {run.wrk.requests_per_sec:>9.0f} req/s  p50 {run.wrk.p50_ms:.2f} ms"
                f"  p99 {run.wrk.p99_ms:.2f} ms  cpu {run.cpu_percent}"
            )

    summary = summarise(runs)
    pr, lr = ratio(summary, "product"), ratio(summary, "list")
    return {
        "paths": paths,
        "summary": summary,
        "ratio_product_trivial": None if pr is None else round(pr, 3),
        "ratio_list_trivial": None if lr is None else round(lr, 3),
        "ratio_product_trivial_per_round": per_round_ratios(runs, "product"),
        "ratio_list_trivial_per_round": per_round_ratios(runs, "list"),
        "target_ratio": TARGET_RATIO,
        "runs": [asdict(r) for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    machine_before = machine()
    with deployment(args, workers=args.workers, name="bench") as bench:
        result = scenario(args, wrk, bench)
        machine_after = machine()
    report: dict[str, Any] = {
        "config": {k: getattr(args, k) for k in (
            "duration", "connections", "threads", "rounds", "workers", "warmup", "products")},
        "machine_before": machine_before,
        "machine_after": machine_after,
        **result,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    run_main(main)
