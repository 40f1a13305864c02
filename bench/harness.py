"""What every benchmark here needs besides its scenario: services, servers, CPU, clean-up.

A benchmark file holds only its scenario (what it loads, how, what it prints);
this module gives it, the same way for all of them:

- `add_common_arguments`: the options every benchmark takes (`--admin-dsn`,
  `--redis-url`, `--shop`, `--ready-timeout`, `--server-env`, `--json`);
- `deployment(...)`: a fresh database `shop_bench_<hex>`, the Redis prefix
  `shop-bench-<hex>:`, a temp dir for the server logs, `shop migrate`, then
  `shop serve` process(es) ready on free ports; on leaving, whatever happened,
  the servers stopped, the database dropped, the Redis keys unlinked and the
  logs removed (kept, and their path printed, when the run failed);
- `Server`: one `shop serve` process group with its log and a keep-alive
  JSON connection for the set-up requests;
- `Services`: admin access to PostgreSQL and Redis (databases, counters);
- CPU sampling from `/proc` (server process groups, client processes, every
  `redis-server` and `postgres` of the machine) and the load average;
- `wrk` (installed from Debian when missing) and the parsing of its output;
- `run_main`: SIGTERM and Ctrl-C still clean up, a `BenchError` exits 1 with
  the reason.

Standard library only, plus asyncpg and redis from the project's venv for the
database and Redis set-up and clean-up. Traffic only ever goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

HOST = "127.0.0.1"
_STATEMENT_COUNT = re.compile(r"^shop_db_query_duration_seconds_count\{([^}]*)\} ([0-9.e+]+)$",
                              re.MULTILINE)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------- arguments


def add_common_arguments(parser: argparse.ArgumentParser, *, ready_timeout: float = 30.0) -> None:
    """The options every benchmark takes: where the services are, which `shop`, output."""
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout")
    parser.add_argument("--admin-dsn", default=f"postgresql://postgres@{HOST}:5432/postgres",
                        help="PostgreSQL DSN used to create and drop the bench database")
    parser.add_argument("--redis-url", default=f"redis://{HOST}:6379/0")
    parser.add_argument("--shop", default=str(Path(sys.executable).parent / "shop"),
                        help="the shop executable (default: the one next to this Python)")
    parser.add_argument("--ready-timeout", type=float, default=ready_timeout,
                        help=f"seconds to wait for /health/ready (default {ready_timeout:.0f})")
    parser.add_argument("--server-env", action="append", default=[], metavar="SHOP_X=VALUE",
                        help="extra setting for the servers, e.g. SHOP_WS_HEARTBEAT_SECONDS=0 "
                        "(repeatable)")


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if any("=" not in item or not item.startswith("SHOP_") for item in args.server_env):
        parser.error("--server-env takes SHOP_NAME=value")


# ------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {"nproc": cores, "loadavg": [round(x, 2) for x in os.getloadavg()]}


def print_machine(before: dict[str, Any], after: dict[str, Any]) -> None:
    print(f"machine: nproc={before['nproc']}, loadavg before {before['loadavg']},"
          f" after {after['loadavg']}")


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile, no interpolation (p99 of 50 values is the 50th); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# ----------------------------------------------------------------------- CPU


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

CpuSample = dict[int, tuple[str, float]]
"""pid -> (group name, CPU seconds used so far)."""


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


def cpu_sample(process_groups: Mapping[str, Iterable[int | None]] | None = None,
               pids: Mapping[str, Iterable[int | None]] | None = None) -> CpuSample:
    """CPU so far of the named process groups (servers), the named pids (client processes
    sharing the bench's own group), and every `redis-server` and `postgres` process."""
    by_group = {g: name for name, groups in (process_groups or {}).items()
                for g in groups if g is not None}
    by_pid = {p: name for name, members in (pids or {}).items()
              for p in members if p is not None}
    sample: CpuSample = {}
    try:
        entries = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return sample
    for pid in entries:
        stat = _proc_stat(pid)
        if stat is None:
            continue
        comm, pgrp, cpu = stat
        if pgrp in by_group:
            sample[pid] = (by_group[pgrp], cpu)
        elif pid in by_pid:
            sample[pid] = (by_pid[pid], cpu)
        elif comm.startswith("redis-server"):
            sample[pid] = ("redis", cpu)
        elif comm.startswith("postgres"):
            sample[pid] = ("postgres", cpu)
    return sample


def cpu_used(before: CpuSample, after: CpuSample,
             groups: Iterable[str] = ("redis", "postgres")) -> dict[str, float]:
    """CPU seconds per group between two samples; `groups` are reported even when 0.

    A process that started after `before` counts from zero; one gone by `after`
    is not counted.
    """
    totals = dict.fromkeys(groups, 0.0)
    for pid, (group, cpu) in after.items():
        previous = before.get(pid)
        start = previous[1] if previous and previous[0] == group else 0.0
        totals[group] = totals.get(group, 0.0) + max(0.0, cpu - start)
    return totals


def cpu_percent(used: Mapping[str, float], seconds: float) -> dict[str, float]:
    """CPU seconds per group as % of one core over `seconds` (200 = both cores)."""
    return {group: round(100.0 * value / seconds, 1) for group, value in sorted(used.items())}


def cores_bound(percent: Mapping[str, float | None], cores: int) -> float | None:
    """The most the machine's cores allow over this run's throughput, at its CPU per request.

    Every party's % of a core, summed, is what the run's requests cost the
    machine; `cores x 100` over that sum is how many times as many requests
    the cores could serve if they did nothing else and nothing cost more once
    every core is busy (both untrue, so a real run stays under it). With one
    worker whose Python thread is saturated, it bounds what `--workers N`
    can scale to: target 5's 1.5x needs the other parties to cost at most a
    third of what the server does.
    """
    used = sum(value for value in percent.values() if value)
    return round(cores * 100 / used, 2) if used else None


def children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk runs, pgbench)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------ services


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class Services:
    """Admin access to PostgreSQL and Redis: create/drop the database, counters, clean-up."""

    def __init__(self, admin_dsn: str, redis_url: str) -> None:
        self.admin_dsn = admin_dsn
        self.redis_url = redis_url

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

    def pg_counters(self, name: str) -> dict[str, int] | None:
        """Of one database so far: `transactions` (committed + rolled back) and `sessions`
        (connections ever opened to it); stats lag up to ~1 s."""

        async def run(conn: Any) -> dict[str, int]:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            row = await conn.fetchrow(
                "SELECT xact_commit + xact_rollback AS transactions, sessions"
                " FROM pg_stat_database WHERE datname = $1",
                name,
            )
            return {"transactions": int(row["transactions"] or 0) if row else 0,
                    "sessions": int(row["sessions"] or 0) if row else 0}

        try:
            return dict(asyncio.run(self._pg(run)))
        except Exception as exc:  # counters are diagnostics only
            log(f"could not read pg_stat_database: {exc}")
            return None

    def pg_transactions(self, name: str) -> int | None:
        """Committed plus rolled back transactions of one database (stats lag up to ~1 s)."""
        counters = self.pg_counters(name)
        return None if counters is None else counters["transactions"]

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


def sqlalchemy_url(admin_dsn: str, database: str) -> str:
    """postgresql://user@host:port/anything -> postgresql+asyncpg://user@host:port/<database>."""
    scheme, rest = admin_dsn.split("://", 1)
    if not scheme.startswith("postgres"):
        raise BenchError(f"--admin-dsn must be a postgresql:// DSN, not {admin_dsn!r}")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    return f"postgresql+asyncpg://{netloc}/{database}"


def pgbench_tps(services: Services, dsn: str, seconds: int) -> dict[str, Any]:
    """PostgreSQL's own speed, the reference of the database benchmarks: TPC-B
    (`pgbench -c 8 -j 2`, scale 10) on the server of `dsn`, in a database of its own
    (`<dsn's database>_pgbench`) that is dropped afterwards."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchError("pgbench is not installed (Debian: postgresql-client)")
    base, name = dsn.rsplit("/", 1)
    database = f"{name.split('?', 1)[0]}_pgbench"
    target = f"{base}/{database}"
    services.create_database(database)
    try:
        for cmd in ([pgbench, "-i", "-q", "-s", "10", target],
                    [pgbench, "-c", "8", "-j", "2", "-T", str(seconds), target]):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                  timeout=seconds + 300)
            if done.returncode != 0:
                raise BenchError(f"`{' '.join(cmd)}` failed:\n{done.stdout}{done.stderr}")
        found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
        if found is None:
            raise BenchError(f"no tps in the pgbench output:\n{done.stdout}")
        return {"tps": float(found.group(1)), "seconds": seconds,
                "command": f"pgbench -c 8 -j 2 -T {seconds} (scale 10)"}
    finally:
        services.drop_database(database)


# -------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A `shop serve` process group with its log file and a keep-alive HTTP connection."""

    def __init__(self, name: str, shop: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.shop = shop
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._http: http.client.HTTPConnection | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def run_command(self, *args: str) -> None:
        """Run `shop <args>` to completion, its output appended to the log; raise on failure."""
        with self.log_path.open("ab") as out:
            out.write(f"\n$ shop {' '.join(args)}\n".encode())
            out.flush()
            done = subprocess.run([self.shop, *args], env=self.env, cwd=self.workdir,
                                  stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=120, check=False)
        if done.returncode != 0:
            raise BenchError(f"`shop {' '.join(args)}` failed ({done.returncode});"
                             f" log: {self.log_path}\n{self.log_tail()}")

    def start(self, workers: int, ready_timeout: float) -> None:
        """`shop serve --workers N` on a free port, in its own process group; wait until ready."""
        self.port = free_port()
        self.launch([self.shop, "serve", "--host", HOST, "--port", str(self.port),
                     "--workers", str(workers)], "/health/ready", ready_timeout)

    def launch(self, cmd: list[str], ready_path: str, ready_timeout: float) -> None:
        """Start `cmd` (listening on `self.port`) in its own process group; wait for
        `GET ready_path` to answer 200. Also serves the reference servers of a benchmark."""
        with self.log_path.open("ab") as out:
            out.write(f"\n$ {' '.join(cmd)}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                cmd, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self._wait_ready(ready_path, ready_timeout)

    def _wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.process.returncode if self.process else None
                raise BenchError(f"{self.name} exited with {code} during start-up;"
                                 f" log: {self.log_path}\n{self.log_tail()}")
            try:
                status, body = self.request("GET", path)
                if status == 200:
                    return
                last = f"{status} {body}"
            except (OSError, http.client.HTTPException) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s (last: {last});"
                         f" log: {self.log_path}\n{self.log_tail()}")

    def request(self, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, Any]:
        """One JSON request on this server's keep-alive connection: (status, decoded body).

        Never raises on an HTTP status; a transport error closes the connection
        (the next request opens a new one) and propagates. A GET on a kept-alive
        connection that the server closed while it sat idle (granian's keep-alive
        timeout, e.g. across a 30 s load) is sent once more on a new connection.
        """
        reused = self._http is not None
        try:
            return self._send(method, path, body, token)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not (reused and method == "GET"):
                raise
            return self._send(method, path, body, token)

    def _send(self, method: str, path: str, body: Any, token: str | None) -> tuple[int, Any]:
        if self._http is None:
            self._http = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            self._http.request(method, path, body=data, headers=headers)
            response = self._http.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._http.close()
            self._http = None
            raise
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def sign_in(self, email: str, password: str) -> str:
        """An access token for these credentials, or BenchError saying what the server said."""
        status, body = self.request("POST", "/api/v1/auth/token",
                                    {"email": email, "password": password})
        if status != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise BenchError(f"sign-in of {email} on {self.name} answered {status}: {body}")
        return str(body["access_token"])

    def statement_counts(self) -> dict[str, float]:
        """SQL statements this server ran so far, by `kind table`, from its `/metrics`.

        The count of `shop_db_query_duration_seconds` (every statement the
        shop's engine sends, summed over the server's workers; BEGIN and
        COMMIT are not statements there). Empty when metrics are off.
        """
        status, body = self.request("GET", "/metrics")
        if status != 200 or not isinstance(body, str):
            return {}
        counts: dict[str, float] = {}
        for found in _STATEMENT_COUNT.finditer(body):
            labels = dict(_LABEL.findall(found.group(1)))
            key = f"{labels.get('kind', '?')} {labels.get('table', '?')}"
            counts[key] = counts.get(key, 0.0) + float(found.group(2))
        return counts

    @property
    def pgid(self) -> int | None:
        """The process group (start_new_session: the leader's pid), None once it exited."""
        return self.process.pid if self.alive() and self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers; no worker outlives its leader."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process is None:
            return
        pgid = self.process.pid
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------- deployment


@dataclass
class Deployment:
    """One benchmark's private database, Redis prefix, log dir and running servers."""

    tag: str
    database: str
    prefix: str
    workdir: Path
    env: dict[str, str]
    services: Services
    servers: list[Server] = field(default_factory=list)
    keep_logs: bool = False
    """Set by a scenario whose run failed a check: the logs are kept and their path printed."""

    @property
    def admin_email(self) -> str:
        return self.env["SHOP_ADMIN_EMAIL"]

    @property
    def admin_password(self) -> str:
        return self.env["SHOP_ADMIN_PASSWORD"]

    @property
    def database_dsn(self) -> str:
        """libpq/asyncpg DSN of the bench database (for reading it back after the load)."""
        return self.env["SHOP_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)

    def admin_token(self) -> str:
        return self.servers[0].sign_in(self.admin_email, self.admin_password)

    def check_alive(self) -> None:
        for server in self.servers:
            if not server.alive():
                raise BenchError(f"{server.name} died during the run; log: {server.log_path}")


@contextlib.contextmanager
def deployment(args: argparse.Namespace, *, servers: int = 1, workers: int = 1,
               name: str = "bench") -> Iterator[Deployment]:
    """Fresh database and Redis prefix, `shop migrate`, `servers` x `shop serve` ready.

    The servers start one after the other (servers starting together race to
    create the bench admin). Leaving the block stops them and releases
    everything, whatever happened: see `release`.
    """
    if not os.access(args.shop, os.X_OK):
        raise BenchError(f"no shop executable at {args.shop}")
    tag = secrets.token_hex(4)
    database, prefix = f"shop_bench_{tag}", f"shop-bench-{tag}:"
    workdir = Path(tempfile.mkdtemp(prefix=f"shop-{name}-"))
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
        "SHOP_ADMIN_EMAIL": f"bench-admin-{tag}@example.com",
        "SHOP_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "NO_PROXY": "*",
        **dict(item.split("=", 1) for item in args.server_env),
    }
    run = Deployment(tag=tag, database=database, prefix=prefix, workdir=workdir, env=env,
                     services=Services(args.admin_dsn, args.redis_url))
    created_db = False
    try:
        log(f"database {database}, Redis prefix {prefix!r}, logs under {workdir}")
        run.services.create_database(database)
        created_db = True
        for n in range(servers):
            server = Server(f"server-{n}", args.shop, env, workdir)
            run.servers.append(server)
            if n == 0:
                server.run_command("migrate")
            server.start(workers, args.ready_timeout)
            log(f"{server.name} ready on {server.base} (pid {server.pgid})")
        yield run
    except BaseException:
        run.keep_logs = True
        raise
    finally:
        for server in run.servers:
            server.stop()
        release(run.services, database=database if created_db else None, prefix=prefix,
                workdir=workdir, keep_workdir=run.keep_logs)


def release(services: Services, *, database: str | None, prefix: str, workdir: Path,
            keep_workdir: bool) -> None:
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


# ----------------------------------------------------------------------- wrk


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


@dataclass
class WrkResult:
    requests_per_sec: float
    requests: int
    p50_ms: float
    p99_ms: float
    seconds: float = 0.0
    """How long wrk ran (its "N requests in X" line)."""
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


def parse_wrk(output: str) -> WrkResult:
    """Parse the text `wrk --latency` prints; raise BenchError if a needed figure is missing."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    total = re.search(rf"^\s*(\d+) requests in {_DURATION}", output, re.MULTILINE)
    p50 = re.search(rf"^\s+50(?:\.0+)?%\s+{_DURATION}\s*$", output, re.MULTILINE)
    p99 = re.search(rf"^\s+99(?:\.0+)?%\s+{_DURATION}\s*$", output, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise BenchError(f"could not parse wrk output (was --latency given?):\n{output}")
    result = WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(total.group(1)),
        p50_ms=float(p50.group(1)) * _UNIT_TO_MS[p50.group(2)],
        p99_ms=float(p99.group(1)) * _UNIT_TO_MS[p99.group(2)],
        seconds=float(total.group(2)) * _UNIT_TO_MS[total.group(3)] / 1000,
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


def run_wrk(wrk: str, url: str, *, threads: int, connections: int, duration: float,
            extra: Iterable[str] = ()) -> str:
    """Run `wrk --latency` against `url` and return its output (`extra`: e.g. a Lua script).

    wrk's own 2 s timeout would count a slow answer as a socket error: 30 s here.
    """
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
           "--latency", "--timeout", "30s", *extra, url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60,
                          check=False)
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(cmd)}` failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


# ---------------------------------------------------------------------- main


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally`s: clean-up still runs


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
