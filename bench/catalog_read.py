"""Catalog read benchmark: product reads and list pages against the framework's own floor.

Starts a real `shop serve` on the PostgreSQL + Redis profile with a catalog of
`--products` products (default 10,000) in a tree of seven categories, and a
bare Litestar app on granian beside it, loads them with `wrk` and prints,
measured in the same run and interleaved round by round:

- requests/s, p50 and p99 latency of `GET /health/live` on the shop (trivial)
  and on the bare app (bare), `GET /api/v1/products/{id}` (served from the
  cache), the list page `GET /api/v1/products?limit=20` (with its `total`),
  and the same page filtered by category (subcategories included), by name
  (`q`) and by price range;
- the ratios against the targets of issue 11, each MET or NOT MET:
  trivial/bare >= 0.60, product/trivial >= 0.85, list/trivial >= 0.50,
  every filtered page >= 0.50 of the plain one (within 2x), and the list page
  on a second shop server of two workers (`list_2workers`, loaded in turn
  with the others) >= 1.50x the one-worker shop's (target 5); and
  `/health/live` on a shop server with the access log on, as a new user runs
  it (`trivial_logged`, one JSON line per request to its log file), against
  the bare app (target 3 again: the other servers keep the log off so that a
  run leaves no large log);
- per endpoint, what each request costs elsewhere: CPU of the server, of wrk, of
  Redis and of PostgreSQL, Redis commands per request and PostgreSQL
  transactions per request, so a reader can see what limits the figures;
- the cost of tracing: `/health/live` and the product read again on a second
  shop server with OpenTelemetry on (`SHOP_OTEL_EXPORTER=otlp`, batched export
  to a collector stub in this process that accepts and counts the spans), as
  ratios traced/untraced of the same run. With tracing off (the default, and
  the first server) nothing of OpenTelemetry is built, so `trivial/bare` is
  the figure of "tracing off costs nothing".

Usage (from the repository root):

    .venv/bin/python bench/catalog_read.py [--duration 10] [--connections 50]
        [--threads 1] [--rounds 3] [--workers 1] [--products 10000] [--json]

Everything it creates (a database `shop_bench_<hex>`, Redis keys under
`shop-bench-<hex>:`, a temp dir with the server log) is removed at the end,
whatever happens. Traffic only ever goes to 127.0.0.1.

The services, the server, CPU sampling, wrk and the clean-up come from
`harness.py` (same directory); this file is the scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import statistics
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness import (
    BenchError,
    Deployment,
    Server,
    WrkResult,
    add_common_arguments,
    check_common_arguments,
    children_cpu,
    cores_bound,
    cpu_percent,
    cpu_sample,
    cpu_used,
    deployment,
    ensure_wrk,
    free_port,
    log,
    machine,
    parse_wrk,
    print_machine,
    run_main,
    run_wrk,
)

ENDPOINTS: tuple[str, ...] = (
    "trivial", "bare", "product", "list", "list_category", "list_q", "list_price",
    "list_2workers", "trivial_traced", "product_traced", "trivial_logged",
)
TRACED: dict[str, str] = {"trivial_traced": "trivial", "product_traced": "product"}
"""Endpoints served by the shop with tracing on, and their untraced twin."""
LOGGED: dict[str, str] = {"trivial_logged": "trivial"}
"""Endpoints served by a shop with the access log on (the default), and their twin."""
TWO_WORKERS: dict[str, str] = {"list_2workers": "list"}
"""Endpoints served by a shop of two workers, and their twin on the one-worker shop."""
TARGETS: tuple[tuple[str, str, float], ...] = (
    # (numerator, denominator, target of issue 11): req/s of one over the other, same run.
    ("trivial", "bare", 0.60),
    ("trivial_logged", "bare", 0.60),
    ("product", "trivial", 0.85),
    ("list", "trivial", 0.50),
    ("list_category", "list", 0.50),
    ("list_q", "list", 0.50),
    ("list_price", "list", 0.50),
    ("list_2workers", "list", 1.50),
)
TRACING_RATIOS: tuple[tuple[str, str], ...] = tuple(TRACED.items())
"""(traced, untraced): what tracing on costs, reported without a target."""
# Above this share of failed requests (non-2xx/3xx plus socket errors) a run means nothing.
MAX_ERROR_SHARE = 0.01


# ------------------------------------------------------------------- the catalog

CATEGORY_TREE: tuple[tuple[str, str | None], ...] = (
    ("Bench", None), ("Home", "Bench"), ("Garden", "Bench"),
    ("Kitchen", "Home"), ("Bath", "Home"), ("Tools", "Garden"), ("Plants", "Garden"),
)
"""(name, parent): a root, two branches, two leaves each; products spread over all seven."""

# `name_key` is what the search matches (the name case-folded, `search_key` in the
# repositories): for these ASCII names, lower() is the same.

_CLONE_PRODUCTS = """
INSERT INTO products (id, name, name_key, description, price_minor, currency, category_id,
                      sku, version, created_at, updated_at, deleted_at)
SELECT gen_random_uuid(), 'Bench product ' || lpad(i::text, 5, '0'),
       'bench product ' || lpad(i::text, 5, '0'), t.description,
       100 + (i * 37) % 5000, t.currency, c.ids[1 + i % c.n], $2 || '-' || i, t.version,
       t.created_at - i * interval '1 millisecond', t.updated_at - i * interval '1 millisecond',
       NULL
FROM generate_series(1, $3::int) AS i,
     (SELECT * FROM products WHERE id = $1) AS t,
     (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM categories) AS c
"""
_CLONE_STOCK = """
INSERT INTO stock (product_id, on_hand, version, updated_at)
SELECT p.id, t.on_hand, t.version, p.updated_at
FROM products p, (SELECT * FROM stock WHERE product_id = $1) AS t
WHERE NOT EXISTS (SELECT 1 FROM stock s WHERE s.product_id = p.id)
"""


def seed_catalog(bench: Deployment, token: str, products: int) -> tuple[list[str], dict[str, str]]:
    """The category tree and one product per category through the API; the other products
    cloned from one of them in SQL (creating 10,000 through the API would take minutes).

    Returns the ids of the products made through the API and the category ids by name.
    """
    server = bench.servers[0]
    category_ids: dict[str, str] = {}
    for name, parent in CATEGORY_TREE:
        body_in: dict[str, Any] = {"name": f"{name} {bench.tag}"}
        if parent is not None:
            body_in["parent_id"] = category_ids[parent]
        status, body = server.request("POST", "/api/v1/categories", body_in, token)
        if status != 201 or not isinstance(body, dict):
            raise BenchError(f"creating the category {name} answered {status}: {body}")
        category_ids[name] = str(body["id"])
    ids: list[str] = []
    for i, name in enumerate(category_ids):
        payload = {
            "name": f"Bench product {name}",
            "price": "12.50",
            "category_id": category_ids[name],
            "stock": 100,
            "sku": f"BENCH-{bench.tag}-{i:03d}",
        }
        status, body = server.request("POST", "/api/v1/products", payload, token)
        if status != 201 or not isinstance(body, dict):
            raise BenchError(f"creating product {i} answered {status}: {body}")
        ids.append(str(body["id"]))
    clones = products - len(ids)
    if clones > 0:
        asyncio.run(_clone(bench.database_dsn, ids[0], f"BENCH-{bench.tag}-C", clones))
    return ids, category_ids


async def _clone(dsn: str, template: str, sku_prefix: str, count: int) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        async with conn.transaction():
            await conn.execute(_CLONE_PRODUCTS, uuid.UUID(template), sku_prefix, count)
            await conn.execute(_CLONE_STOCK, uuid.UUID(template))
        await conn.execute("ANALYZE products")
        await conn.execute("ANALYZE stock")
    finally:
        await conn.close()


def list_paths(category_ids: dict[str, str]) -> dict[str, str]:
    """The unfiltered page and the filtered ones a shop front asks for most."""
    return {
        "list": "/api/v1/products?limit=20",
        "list_category": f"/api/v1/products?limit=20&category_id={category_ids['Home']}",
        "list_q": "/api/v1/products?limit=20&q=product%2001",
        "list_price": "/api/v1/products?limit=20&min_price=10.00&max_price=20.00",
    }


def check_reads(server: Server, product_id: str, paths: dict[str, str], warm: int = 5) -> None:
    for _ in range(warm):
        status, body = server.request("GET", f"/api/v1/products/{product_id}")
        if status != 200 or not isinstance(body, dict) or body.get("id") != product_id:
            raise BenchError(f"GET product {product_id} answered {status}: {body}")
    for name, path in paths.items():
        if not name.startswith("list"):
            continue
        status, body = server.request("GET", path)
        if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) != 20:
            raise BenchError(f"GET {path} answered {status}: {str(body)[:500]}")
        log(f"{name}: {body['total']} products match")
    status, body = server.request("GET", "/health/live")
    if status != 200:
        raise BenchError(f"GET /health/live answered {status}: {body}")


def start_bare_litestar(bench: Deployment, ready_timeout: float) -> Server:
    """The reference server: `bare_litestar.py` on granian, in its own process group."""
    script = Path(__file__).with_name("bare_litestar.py")
    bare = Server("bare-litestar", sys.executable, bench.env, bench.workdir)
    bench.servers.append(bare)  # stopped with the shop's servers
    bare.port = free_port()
    bare.env = {**bench.env, "PYTHONPATH": str(script.parent)}
    bare.launch([sys.executable, str(script), "--port", str(bare.port)], "/health/live",
                ready_timeout)
    return bare


class CollectorStub:
    """An OTLP/HTTP trace collector that accepts every export and counts them (no parsing:
    the bench measures the shop's side of tracing, not a collector)."""

    def __init__(self) -> None:
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.exports += 1
                stub.bytes += length
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.exports = 0
        self.bytes = 0
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_shop(bench: Deployment, name: str, env: dict[str, str], workers: int,
               ready_timeout: float) -> Server:
    """One more shop server on the deployment's database and Redis."""
    server = Server(name, bench.servers[0].shop, env, bench.workdir)
    bench.servers.append(server)  # stopped with the others
    server.start(workers, ready_timeout)
    return server


def start_traced_shop(bench: Deployment, collector: CollectorStub, workers: int,
                      ready_timeout: float) -> Server:
    """A shop server with tracing exported over OTLP to the collector stub."""
    env = {**bench.env, "SHOP_OTEL_EXPORTER": "otlp",
           "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_SERVICE_NAME": "shop-bench"}
    traced = start_shop(bench, "server-traced", env, workers, ready_timeout)
    log(f"{traced.name} (tracing on, OTLP to {collector.endpoint}) ready on {traced.base}")
    return traced


def start_logged_shop(bench: Deployment, workers: int, ready_timeout: float) -> Server:
    """A shop server with the access log on at INFO, as `shop serve` runs by default."""
    env = {**bench.env, "SHOP_ACCESS_LOG": "true", "SHOP_LOG_LEVEL": "INFO"}
    logged = start_shop(bench, "server-logged", env, workers, ready_timeout)
    log(f"{logged.name} (access log on) ready on {logged.base}")
    return logged


def access_lines(server: Server) -> int:
    """How many access-log lines the server wrote (the logged run must have written them)."""
    with server.log_path.open("rb") as lines:
        return sum(1 for line in lines if b'"logger":"shop.http.access"' in line)


def start_two_worker_shop(bench: Deployment, ready_timeout: float) -> Server:
    """Target 5 for list pages, in the same run: the same shop with `--workers 2`.

    Loaded in turn with the one-worker shop, never at once, so each has the
    machine to itself while measured (the idle one costs next to nothing).
    """
    two = start_shop(bench, "server-2workers", bench.env, 2, ready_timeout)
    log(f"{two.name} (--workers 2) ready on {two.base}")
    return two


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


def measure(wrk: str, endpoint: str, server: Server, path: str, rnd: int,
            args: argparse.Namespace, bench: Deployment) -> Run:
    """One wrk run on `server` (the shop, or the bare reference) and what it cost around it."""
    services, url = bench.services, server.base + path
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
        raise BenchError(f"{server.name} died during the {endpoint} run; log: {server.log_path}")
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


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


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
        f"{'endpoint':<15}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'srv%':>7}{'wrk%':>7}{'redis%':>8}{'pg%':>6}{'redis/req':>11}{'pg tx/req':>11}"
        f"{'bound':>7}"
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
            f"{endpoint:<15}{s['requests_per_sec']:>10.0f}{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}"
            f"{num(cpu.get('server'), '.0f'):>7}{num(cpu.get('wrk'), '.0f'):>7}"
            f"{num(cpu.get('redis'), '.0f'):>8}{num(cpu.get('postgres'), '.0f'):>6}"
            f"{num(s['redis_cmds_per_request'], '.2f'):>11}"
            f"{num(s['pg_xacts_per_request'], '.2f'):>11}"
            f"{num(cores_bound(cpu, report['machine_before']['nproc']), '.2f'):>7}"
        )
    for endpoint, path in report["paths"].items():
        if endpoint in report["summary"]:
            print(f"  {endpoint:<13} = GET {path}")
    print()
    for row in report["ratios"]:
        value = row["ratio"]
        verdict = "n/a" if value is None else ("MET" if value >= row["target"] else "NOT MET")
        shown = "n/a" if value is None else format(value, ".2f")
        print(f"ratio {row['name']:<22} = {shown:>5} (target >= {row['target']:.2f})"
              f"  {verdict:<8} per round: {row['per_round']}")
    for row in report["tracing"]:
        shown = "n/a" if row["ratio"] is None else format(row["ratio"], ".2f")
        print(f"tracing on {row['name']:<29} = {shown:>5}  per round: {row['per_round']}")
    print(f"  (spans exported to the collector stub: {report['collector']['exports']} batches,"
          f" {report['collector']['bytes']} bytes)")
    print(
        "bare = a bare Litestar app with one JSON route on granian (bench/bare_litestar.py);"
        " *_traced = the same request on a shop server with tracing on (OTLP, batched);"
        " list_* = the list page filtered (ratios: the filtered page over the plain one);"
        " list_2workers = the list page on a shop of two workers (target 5: over one worker);"
        " trivial_logged = /health/live on a shop with the access log on, as by default.\n"
        "cpu% = share of one core during the run (srv = the loaded server's process group;"
        " redis/pg = every redis-server/postgres process on the machine);\n"
        "redis/req = Redis commands per request (every client of the shared Redis counts);"
        " pg tx/req = transactions per request in the bench database;\n"
        "bound = the most the cores allow over this req/s at this CPU per request (nproc x 100"
        " over the summed cpu%): what --workers N can scale to at best."
    )


# ------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    p.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--workers", type=int, default=1,
                   help="shop serve --workers (default 1; above 1, list_2workers, which"
                   " compares one worker with two, is not measured)")
    p.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load per endpoint (default 2)"
    )
    p.add_argument("--only", default=",".join(ENDPOINTS),
                   help="comma-separated endpoints to measure (default: all; the ratios"
                   " whose two sides were both measured are printed)")
    p.add_argument("--products", type=int, default=10_000,
                   help="products in the catalog (default 10,000)")
    add_common_arguments(p)
    args = p.parse_args(argv)
    check_common_arguments(p, args)
    args.only = tuple(e for e in ENDPOINTS if e in args.only.split(",")
                      and not (e in TWO_WORKERS and args.workers != 1))
    if not args.only:
        p.error(f"--only names none of {', '.join(ENDPOINTS)}")
    if args.threads > args.connections:
        p.error("--threads must not exceed --connections")
    if min(args.duration, args.connections, args.threads, args.rounds, args.workers) < 1:
        p.error("--duration, --connections, --threads, --rounds and --workers must be >= 1")
    if args.products < 2000:
        p.error("--products must be >= 2000 (every filtered page must fill a page of 20)")
    return args


def scenario(args: argparse.Namespace, wrk: str, bench: Deployment) -> dict[str, Any]:
    """Seed the catalog, start the reference, warm up, run the interleaved rounds."""
    shop = bench.servers[0]
    ids, category_ids = seed_catalog(bench, bench.admin_token(), args.products)
    product_id = ids[len(ids) // 2]
    paths = {"trivial": "/health/live", "bare": "/health/live",
             "product": f"/api/v1/products/{product_id}", **list_paths(category_ids)}
    check_reads(shop, product_id, paths)
    cached = [k for k in bench.services.redis_keys(bench.prefix) if product_id in k]
    log(f"{args.products} products; reading {product_id}; Redis keys naming it: "
        f"{cached or 'none'}")
    bare = start_bare_litestar(bench, args.ready_timeout)
    collector = CollectorStub()
    traced = start_traced_shop(bench, collector, args.workers, args.ready_timeout)
    paths.update({endpoint: paths[twin]
                  for endpoint, twin in (TRACED | LOGGED | TWO_WORKERS).items()})
    servers = {endpoint: bare if endpoint == "bare" else traced if endpoint in TRACED else shop
               for endpoint in ENDPOINTS}
    if any(endpoint in TWO_WORKERS for endpoint in args.only):
        two = start_two_worker_shop(bench, args.ready_timeout)
        check_reads(two, product_id, {"list": paths["list"]})
        servers.update({endpoint: two for endpoint in TWO_WORKERS})
    logged = None
    if any(endpoint in LOGGED for endpoint in args.only):
        logged = start_logged_shop(bench, args.workers, args.ready_timeout)
        servers.update({endpoint: logged for endpoint in LOGGED})

    if args.warmup > 0:
        log(f"warm-up: {args.warmup} s per endpoint (not measured)")
        for endpoint in args.only:
            load(wrk, servers[endpoint].base + paths[endpoint], args, args.warmup)

    runs: list[Run] = []
    for rnd in range(args.rounds):
        # Rotate the order each round so no endpoint always runs first or last.
        shift = rnd % len(args.only)
        for endpoint in args.only[shift:] + args.only[:shift]:
            run = measure(wrk, endpoint, servers[endpoint], paths[endpoint], rnd, args, bench)
            runs.append(run)
            log(
                f"round {rnd + 1}/{args.rounds} {endpoint:<14}"
                f" {run.wrk.requests_per_sec:>9.0f} req/s  p50 {run.wrk.p50_ms:.2f} ms"
                f"  p99 {run.wrk.p99_ms:.2f} ms  cpu {run.cpu_percent}"
            )

    time.sleep(6)  # the batch span processor exports every 5 s
    collector.close()
    if collector.exports == 0:
        raise BenchError(f"the traced server exported no spans; log: {traced.log_path}")
    log(f"collector stub received {collector.exports} exports ({collector.bytes} bytes)")
    if logged is not None:
        written = access_lines(logged)
        if written == 0:
            raise BenchError(f"the logged server wrote no access lines; log: {logged.log_path}")
        log(f"{logged.name} wrote {written} access-log lines")

    summary = summarise(runs)
    tracing = [{"name": f"{num}/{den}", "ratio": _rounded(ratio(summary, num, den)),
                "per_round": per_round_ratios(runs, num, den)} for num, den in TRACING_RATIOS]
    ratios = []
    for num, den, target in TARGETS:
        if num not in args.only or den not in args.only:
            continue
        value = ratio(summary, num, den)
        ratios.append({"name": f"{num}/{den}", "ratio": None if value is None else round(value, 3),
                       "target": target, "per_round": per_round_ratios(runs, num, den)})
    return {
        "paths": paths,
        "summary": summary,
        "ratios": ratios,
        "tracing": tracing,
        "collector": {"exports": collector.exports, "bytes": collector.bytes},
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
