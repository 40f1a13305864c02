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

Standard library only, plus asyncpg and redis from the project's venv for the
database and Redis set-up and clean-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

HOST = "127.0.0.1"
ENDPOINTS: tuple[str, ...] = ("trivial", "product", "list")
TARGET_RATIO = 0.70
# Above this share of failed requests (non-2xx/3xx plus socket errors) a run means nothing.
MAX_ERROR_SHARE = 0.01


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    """Return the path of `wrk`, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found: installing it with apt-get (Debian package `wrk`)")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        raise BenchError("wrk is not installed and we are not root: run `apt-get install wrk`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(
                f"`{' '.join(cmd)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get installed wrk but it is not on PATH")
    log(f"installed {found}")
    return found


_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([0-9.]+)(us|ms|s|m|h)"


def _duration_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


@dataclass
class WrkResult:
    requests_per_sec: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


def parse_wrk(output: str) -> WrkResult:
    """Parse the text `wrk --latency` prints; raise BenchError if a needed figure is missing."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    p50 = re.search(rf"^\s+50(?:\.0+)?%\s+{_DURATION}\s*$", output, re.MULTILINE)
    p99 = re.search(rf"^\s+99(?:\.0+)?%\s+{_DURATION}\s*$", output, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise BenchError(f"could not parse wrk output (was --latency given?):\n{output}")
    result = WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(total.group(1)),
        p50_ms=_duration_ms(p50.group(1), p50.group(2)),
        p99_ms=_duration_ms(p99.group(1), p99.group(2)),
    )
    non2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.MULTILINE)
    if non2xx:
        result.non_2xx_3xx = int(non2xx.group(1))
    sock = re.search(
        r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
        output,
        re.MULTILINE,
    )
    if sock:
        result.socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)
        )
    return result


# ------------------------------------------------------------- CPU and counters


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, pgrp, cpu seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
    return comm, int(rest[2]), (int(rest[11]) + int(rest[12])) / _CLK_TCK


CpuSample = dict[int, tuple[str, float]]


def cpu_sample(server_pgid: int | None) -> CpuSample:
    """pid -> (group, CPU seconds so far) of the server's process group, Redis and PostgreSQL."""
    sample: CpuSample = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return sample
    for pid in pids:
        stat = _proc_stat(pid)
        if stat is None:
            continue
        comm, pgrp, cpu = stat
        if server_pgid is not None and pgrp == server_pgid:
            sample[pid] = ("server", cpu)
        elif comm.startswith("redis-server"):
            sample[pid] = ("redis", cpu)
        elif comm.startswith("postgres"):
            sample[pid] = ("postgres", cpu)
    return sample


def cpu_used(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds per group between two samples (processes gone by `after` are not counted)."""
    totals = {"server": 0.0, "redis": 0.0, "postgres": 0.0}
    for pid, (group, cpu) in after.items():
        previous = before.get(pid)
        start = previous[1] if previous and previous[0] == group else 0.0
        totals[group] += max(0.0, cpu - start)
    return totals


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Services:
    """Admin access to PostgreSQL and Redis: create/drop the database, counters, clean-up."""

    def __init__(self, admin_dsn: str, redis_url: str) -> None:
        self.admin_dsn = admin_dsn
        self.redis_url = redis_url

    # PostgreSQL -----------------------------------------------------------

    async def _pg(self, fn: Callable[[Any], Any], dsn: str | None = None) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(dsn or self.admin_dsn, timeout=10)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    def create_database(self, name: str) -> None:
        async def run(conn: Any) -> None:
            await conn.execute(f'CREATE DATABASE "{name}"')

        asyncio.run(self._pg(run))

    def drop_database(self, name: str) -> None:
        async def run(conn: Any) -> None:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        asyncio.run(self._pg(run))

    def database_exists(self, name: str) -> bool:
        async def run(conn: Any) -> bool:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))

        return bool(asyncio.run(self._pg(run)))

    def pg_transactions(self, name: str) -> int | None:
        """Committed plus rolled back transactions of one database (stats lag up to ~1 s)."""

        async def run(conn: Any) -> int:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            value = await conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
                name,
            )
            return int(value or 0)

        try:
            return int(asyncio.run(self._pg(run)))
        except Exception as exc:  # counters are diagnostics only
            log(f"could not read pg_stat_database: {exc}")
            return None

    # Redis ----------------------------------------------------------------

    @contextlib.contextmanager
    def _redis(self) -> Iterator[Any]:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=10)
        try:
            yield client
        finally:
            client.close()

    def redis_commands(self) -> int | None:
        """Commands processed by the whole Redis server so far (shared: other clients count)."""
        try:
            with self._redis() as client:
                return int(client.info("stats")["total_commands_processed"])
        except Exception as exc:  # counters are diagnostics only
            log(f"could not read Redis INFO: {exc}")
            return None

    def redis_keys(self, prefix: str) -> list[str]:
        with self._redis() as client:
            return [
                k.decode() if isinstance(k, bytes) else str(k)
                for k in client.scan_iter(match=_glob_escape(prefix) + "*", count=1000)
            ]

    def delete_prefix(self, prefix: str) -> int:
        deleted = 0
        with self._redis() as client:
            batch: list[Any] = []
            for key in client.scan_iter(match=_glob_escape(prefix) + "*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += int(client.unlink(*batch))
                    batch.clear()
            if batch:
                deleted += int(client.unlink(*batch))
        return deleted


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


# -------------------------------------------------------------------- HTTP set-up

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """One JSON request; returns (status, decoded body or text). Never raises on HTTP status."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -------------------------------------------------------------------- the server


class Server:
    """A `shop serve` process group with its log file."""

    def __init__(self, shop: str, env: dict[str, str], workdir: Path) -> None:
        self.shop = shop
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def run_command(self, *args: str, extra_env: dict[str, str] | None = None) -> None:
        """Run `shop <args>` to completion, its output appended to the log; raise on failure."""
        with self.log_path.open("ab") as out:
            out.write(f"\n$ shop {' '.join(args)}\n".encode())
            out.flush()
            done = subprocess.run(
                [self.shop, *args],
                env={**self.env, **(extra_env or {})},
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            raise BenchError(
                f"`shop {' '.join(args)}` failed ({done.returncode}); log: {self.log_path}\n"
                + self.log_tail()
            )

    def start(self, workers: int, ready_timeout: float) -> None:
        self.port = free_port()
        cmd = [self.shop, "serve", "--host", HOST, "--port", str(self.port)]
        cmd += ["--workers", str(workers)]
        with self.log_path.open("ab") as out:
            out.write(f"\n$ {' '.join(cmd)}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                cmd,
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"server exited with {self.process.returncode} during start-up;"
                    f" log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                status, body = http("GET", f"{self.base}/health/ready", timeout=2)
                if status == 200:
                    return
                last = f"{status} {body}"
            except (OSError, urllib.error.URLError) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise BenchError(
            f"server not ready after {ready_timeout:.0f} s (last: {last}); log: {self.log_path}\n"
            + self.log_tail()
        )

    @property
    def pgid(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            return os.getpgid(self.process.pid)
        except OSError:
            return None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the leader's pid
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure no worker of its group outlives it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            break

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# ------------------------------------------------------------------- the catalog


def sign_in(server: Server, email: str, password: str) -> tuple[int, str | None]:
    status, body = http(
        "POST", f"{server.base}/api/v1/auth/token", {"email": email, "password": password}
    )
    if status == 200 and isinstance(body, dict) and "access_token" in body:
        return status, str(body["access_token"])
    if status in (401, 404):
        return status, None
    raise BenchError(f"admin sign-in answered {status}: {body}")


def admin_token(server: Server, email: str, password: str) -> str | None:
    """An access token of the bench admin; None when the server has no auth route (yet)."""
    status, token = sign_in(server, email, password)
    if status == 404:
        log("no /api/v1/auth/token on this server: creating the catalog without a token")
        return None
    if token is None:
        # The server did not ensure the admin from SHOP_ADMIN_* at start-up: ask the CLI.
        log("the bench admin cannot sign in yet: running `shop create-admin`")
        server.run_command("create-admin", "--email", email)
        status, token = sign_in(server, email, password)
        if token is None:
            raise BenchError(f"cannot sign in as the bench admin; log: {server.log_path}")
    return token


def seed_catalog(server: Server, token: str | None, products: int, tag: str) -> list[str]:
    status, body = http(
        "POST", f"{server.base}/api/v1/categories", {"name": f"Bench {tag}"}, token=token
    )
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
        status, body = http("POST", f"{server.base}/api/v1/products", payload, token=token)
        if status != 201 or not isinstance(body, dict):
            raise BenchError(f"creating product {i} answered {status}: {body}")
        ids.append(str(body["id"]))
    return ids


def check_reads(server: Server, product_id: str, warm: int = 5) -> None:
    for _ in range(warm):
        status, body = http("GET", f"{server.base}/api/v1/products/{product_id}")
        if status != 200 or not isinstance(body, dict) or body.get("id") != product_id:
            raise BenchError(f"GET product {product_id} answered {status}: {body}")
    status, body = http("GET", f"{server.base}/api/v1/products?limit=20")
    if status != 200 or not isinstance(body, dict) or len(body.get("items", [])) != 20:
        raise BenchError(f"GET product list answered {status}: {str(body)[:500]}")
    status, body = http("GET", f"{server.base}/health/live")
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


def run_wrk(wrk: str, url: str, args: argparse.Namespace, duration: float) -> WrkResult:
    cmd = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(cmd)}` failed ({done.returncode}):\n{done.stderr}")
    return parse_wrk(done.stdout)


def measure(
    wrk: str,
    endpoint: str,
    url: str,
    rnd: int,
    args: argparse.Namespace,
    server: Server,
    services: Services,
    database: str,
) -> Run:
    pgid = server.pgid
    cpu0, wrk0 = cpu_sample(pgid), children_cpu()
    redis0, pg0 = services.redis_commands(), services.pg_transactions(database)
    t0 = time.monotonic()
    result = run_wrk(wrk, url, args, args.duration)
    elapsed = time.monotonic() - t0
    cpu1, wrk1 = cpu_sample(pgid), children_cpu()
    time.sleep(1.1)  # PostgreSQL flushes backend statistics at most once a second
    redis1, pg1 = services.redis_commands(), services.pg_transactions(database)
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
    cpu = {k: 100.0 * v / elapsed for k, v in cpu_used(cpu0, cpu1).items()}
    cpu["wrk"] = 100.0 * (wrk1 - wrk0) / elapsed
    # The server's own requests to Redis/PG outside wrk's window (none expected) count too.
    requests = max(result.requests, 1)
    return Run(
        endpoint=endpoint,
        round=rnd,
        wrk=result,
        cpu_percent={k: round(v, 1) for k, v in cpu.items()},
        redis_cmds_per_request=(
            None if redis0 is None or redis1 is None else round((redis1 - redis0) / requests, 3)
        ),
        pg_xacts_per_request=(
            None if pg0 is None or pg1 is None else round((pg1 - pg0) / requests, 3)
        ),
    )


def machine() -> dict[str, Any]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {"nproc": cores, "loadavg": [round(x, 2) for x in os.getloadavg()]}


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
    m0, m1 = report["machine_before"], report["machine_after"]
    print(f"machine: nproc={m0['nproc']}, loadavg before {m0['loadavg']}, after {m1['loadavg']}")
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
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument(
        "--admin-dsn",
        default=f"postgresql://postgres@{HOST}:5432/postgres",
        help="PostgreSQL DSN used to create and drop the bench database",
    )
    p.add_argument("--redis-url", default=f"redis://{HOST}:6379/0")
    p.add_argument(
        "--shop",
        default=str(Path(sys.executable).parent / "shop"),
        help="the shop executable (default: the one next to this Python)",
    )
    p.add_argument("--ready-timeout", type=float, default=30.0)
    args = p.parse_args(argv)
    if args.threads > args.connections:
        p.error("--threads must not exceed --connections")
    if min(args.duration, args.connections, args.threads, args.rounds, args.workers) < 1:
        p.error("--duration, --connections, --threads, --rounds and --workers must be >= 1")
    if args.products < 20:
        p.error("--products must be >= 20 (the list reads a page of 20)")
    return args


def sqlalchemy_url(admin_dsn: str, database: str) -> str:
    """postgresql://user@host:port/anything -> postgresql+asyncpg://user@host:port/<database>."""
    scheme, rest = admin_dsn.split("://", 1)
    if not scheme.startswith("postgres"):
        raise BenchError(f"--admin-dsn must be a postgresql:// DSN, not {admin_dsn!r}")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    return f"postgresql+asyncpg://{netloc}/{database}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    if not os.access(args.shop, os.X_OK):
        raise BenchError(f"no shop executable at {args.shop}")

    tag = secrets.token_hex(4)
    database = f"shop_bench_{tag}"
    prefix = f"shop-bench-{tag}:"
    services = Services(args.admin_dsn, args.redis_url)
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    admin_email = f"bench-admin-{tag}@example.com"
    admin_password = secrets.token_urlsafe(18)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHOP_")},
        "SHOP_DATABASE_URL": sqlalchemy_url(args.admin_dsn, database),
        "SHOP_REDIS_URL": args.redis_url,
        "SHOP_REDIS_PREFIX": prefix,
        "SHOP_EVENTS_STREAM": f"{prefix}events",
        "SHOP_ACCESS_LOG": "false",
        "SHOP_LOG_LEVEL": "WARNING",
        "SHOP_DATA_DIR": str(workdir / "data"),
        "SHOP_JWT_SECRET": secrets.token_hex(32),
        "SHOP_ADMIN_EMAIL": admin_email,
        "SHOP_ADMIN_PASSWORD": admin_password,
        "NO_PROXY": "*",
    }
    server = Server(args.shop, env, workdir)
    created_db = False
    failed = False
    try:
        machine_before = machine()
        log(f"database {database}, Redis prefix {prefix!r}, log {server.log_path}")
        services.create_database(database)
        created_db = True
        server.run_command("migrate")
        server.start(args.workers, args.ready_timeout)
        log(f"server ready on {server.base} (pid {server.process.pid if server.process else '?'})")

        token = admin_token(server, admin_email, admin_password)
        ids = seed_catalog(server, token, args.products, tag)
        product_id = ids[len(ids) // 2]
        check_reads(server, product_id)
        cached = [k for k in services.redis_keys(prefix) if product_id in k]
        log(f"{len(ids)} products; reading {product_id}; Redis keys naming it: {cached or 'none'}")

        paths = {
            "trivial": "/health/live",
            "product": f"/api/v1/products/{product_id}",
            "list": "/api/v1/products?limit=20",
        }
        if args.warmup > 0:
            log(f"warm-up: {args.warmup} s per endpoint (not measured)")
            for endpoint in ENDPOINTS:
                run_wrk(wrk, server.base + paths[endpoint], args, args.warmup)

        runs: list[Run] = []
        for rnd in range(args.rounds):
            # Rotate the order each round so no endpoint always runs first or last.
            order = ENDPOINTS[rnd % 3 :] + ENDPOINTS[: rnd % 3]
            for endpoint in order:
                run = measure(
                    wrk,
                    endpoint,
                    server.base + paths[endpoint],
                    rnd,
                    args,
                    server,
                    services,
                    database,
                )
                runs.append(run)
                log(
                    f"round {rnd + 1}/{args.rounds} {endpoint:<8}"
                    f" {run.wrk.requests_per_sec:>9.0f} req/s  p50 {run.wrk.p50_ms:.2f} ms"
                    f"  p99 {run.wrk.p99_ms:.2f} ms  cpu {run.cpu_percent}"
                )

        summary = summarise(runs)
        pr, lr = ratio(summary, "product"), ratio(summary, "list")
        report: dict[str, Any] = {
            "config": {
                "duration": args.duration,
                "connections": args.connections,
                "threads": args.threads,
                "rounds": args.rounds,
                "workers": args.workers,
                "warmup": args.warmup,
                "products": args.products,
            },
            "machine_before": machine_before,
            "machine_after": machine(),
            "paths": paths,
            "summary": summary,
            "ratio_product_trivial": None if pr is None else round(pr, 3),
            "ratio_list_trivial": None if lr is None else round(lr, 3),
            "ratio_product_trivial_per_round": per_round_ratios(runs, "product"),
            "ratio_list_trivial_per_round": per_round_ratios(runs, "list"),
            "target_ratio": TARGET_RATIO,
            "runs": [asdict(r) for r in runs],
        }
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report)
        return 0
    except BaseException:
        failed = True
        raise
    finally:
        server.stop()
        release_resources(services, database=database if created_db else None,
                          prefix=prefix, workdir=workdir, keep_workdir=failed)


def release_resources(services: Services, *, database: str | None, prefix: str,
                      workdir: Path, keep_workdir: bool) -> None:
    """Drop the bench database and Redis keys; keep the logs only when the run failed.

    Every step is attempted even if an earlier one fails, so a bench never
    leaves a database or keys behind because of an unrelated error.
    """
    if database is not None:
        try:
            services.drop_database(database)
            log(f"dropped database {database}")
        except Exception as exc:
            log(f"could not drop database {database}: {exc}")
    try:
        log(f"deleted {services.delete_prefix(prefix)} Redis keys under {prefix!r}")
    except Exception as exc:
        log(f"could not delete Redis keys under {prefix!r}: {exc}")
    if keep_workdir:
        log(f"server logs kept under {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through main's `finally`: clean-up still runs


def run_main(main: Callable[[], int]) -> NoReturn:
    """Run a bench's main so that SIGTERM and Ctrl-C still clean up, and failures say why."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"FAILED: {error}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run_main(main)
