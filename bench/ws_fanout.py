"""Websocket fan-out benchmark: one stock change pushed to 1,000 clients across two processes.

Starts two real `shop serve` processes on the PostgreSQL + Redis profile (a
fresh database, its own Redis prefix), connects `--clients` websocket clients
(the `websockets` library) to `/ws/inventory`, half on each server, all
subscribed to the same product, then changes that product's stock through the
admin adjustment endpoint, alternating between the two servers, and prints:

- latency phase (`--changes` changes, `--interval` apart so each fan-out ends
  before the next starts): p50 and p99 over the changes of the time from the
  adjustment request being sent to the LAST client receiving its message
  (target: p99 < 100 ms), and the same for every single delivery;
- burst phase (`--burst` changes back to back): messages delivered per second,
  from the first request to the last client receiving the last change;
- CPU used by the servers, the client processes, Redis and PostgreSQL, so a
  reader can see what limits the figures, and the load average.

Every client must receive every change exactly once; a missing or duplicated
delivery, or a client the server dropped, is reported and makes the run fail.

Usage (from the repository root):

    .venv/bin/python bench/ws_fanout.py [--clients 1000] [--changes 50] [--burst 100]
        [--interval 0.3] [--client-processes 2] [--json]

The clients run in `--client-processes` processes (default 2, one per core): a
single Python process reading 1,000 sockets one after another would measure
its own speed more than the server's. Everything (database `shop_bench_<hex>`,
Redis keys under `shop-bench-<hex>:`, a temp dir with the servers' logs) is
removed at the end, whatever happens; logs are kept when the run fails.
Traffic only ever goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from catalog_read import (
    HOST,
    BenchError,
    Services,
    free_port,
    log,
    release_resources,
    run_main,
    sqlalchemy_url,
)

TARGET_P99_MS = 100.0
INITIAL_STOCK = 1_000_000
CONNECT_CONCURRENCY = 50
"""Clients connecting at once per client process (a burst of 1,000 SYNs overflows backlogs)."""
DELIVERY_TIMEOUT_SECONDS = 10.0
"""How long to wait for every client to have every change before calling it missing."""


def raise_open_files_limit(needed: int) -> None:
    """Each client holds a socket here and one in a server (the servers inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    log(f"open files limit raised from {soft} to {target}")
    if target < needed:
        raise BenchError(f"need {needed} open files, the hard limit is {hard}")


# ------------------------------------------------------------------ services


# -------------------------------------------------------------------- servers


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
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/inventory"

    def run_command(self, *args: str) -> None:
        with self.log_path.open("ab") as out:
            done = subprocess.run([self.shop, *args], env=self.env, cwd=self.workdir,
                                  stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=120, check=False)
        if done.returncode != 0:
            raise BenchError(f"`shop {' '.join(args)}` failed ({done.returncode}):\n"
                             f"{self.log_tail()}")

    def start(self) -> None:
        self.port = free_port()
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [self.shop, "serve", "--host", HOST, "--port", str(self.port)],
                env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BenchError(f"{self.name} exited during start-up:\n{self.log_tail()}")
            try:
                status, body = self.request("GET", "/health/ready")
                if status == 200:
                    return
                last = f"{status} {body}"
            except OSError as exc:
                last = str(exc)
                self._http = None
            time.sleep(0.25)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s ({last}):\n"
                         f"{self.log_tail()}")

    def request(self, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, Any]:
        """One JSON request on this server's keep-alive connection."""
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

    @property
    def pgid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the leader's pid
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)  # no worker of the group outlives its leader

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ------------------------------------------------------------------ CPU usage

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_sample(server_groups: set[int], client_pids: set[int]) -> dict[int, tuple[str, float]]:
    """pid -> (group, CPU seconds): the servers' process groups, the client processes (by
    pid: they share the bench's own group), Redis and PostgreSQL."""
    sample: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2:].split()
        pgrp, cpu = int(rest[2]), (int(rest[11]) + int(rest[12])) / _CLK_TCK
        if pgrp in server_groups:
            sample[int(entry)] = ("servers", cpu)
        elif int(entry) in client_pids:
            sample[int(entry)] = ("clients", cpu)
        elif comm.startswith("redis-server"):
            sample[int(entry)] = ("redis", cpu)
        elif comm.startswith("postgres"):
            sample[int(entry)] = ("postgres", cpu)
    return sample


def cpu_percent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
                seconds: float) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for pid, (group, cpu) in after.items():
        start = before.get(pid, (group, 0.0))[1]
        totals[group] += max(0.0, cpu - start)
    return {group: round(100 * used / seconds, 1) for group, used in sorted(totals.items())}


# -------------------------------------------------------------- client processes


@dataclass
class WorkerResult:
    """What one client process saw: for each stock level, when each client received it."""

    received: dict[int, list[float]] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    clients: int = 0


def run_clients(pipe: Connection, urls: list[str], product_id: str) -> None:
    """Entry point of a client process: connect, subscribe, record, report (see `_clients`)."""
    run: Callable[[Any], WorkerResult] = asyncio.run
    with contextlib.suppress(ImportError):  # the servers' loop too (granian picks uvloop)
        import uvloop

        run = uvloop.run
    try:
        result = run(_clients(pipe, urls, product_id))
    except BaseException as error:
        pipe.send(("error", f"{type(error).__name__}: {error}"))
        raise
    pipe.send(("result", result.received, result.closed, result.clients))


class FeedClient(asyncio.Protocol):
    """One websocket client on the `websockets` library's sans-I/O protocol.

    A load generator must cost less than what it loads: the library's asyncio
    connection runs a task per client and takes tens of microseconds per
    message, which with hundreds of clients per process would measure the
    client process more than the server. Here frames are parsed straight from
    `data_received`, stamped with the time their bytes arrived.
    """

    def __init__(self, url: str, subscribe: bytes, received: dict[int, list[float]],
                 on_subscribed: Callable[[], None], closed: list[str]) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.ws = ClientProtocol(parse_uri(url), max_size=None)
        self._subscribe = subscribe
        self._received = received
        self._on_subscribed = on_subscribed
        self._closed = closed
        self._transport: asyncio.Transport | None = None
        self.stopping = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Frame, Opcode
        from websockets.http11 import Response

        at = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self._closed.append(f"handshake failed: {self.ws.handshake_exc}")
                else:
                    self.ws.send_text(self._subscribe)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._message(json.loads(bytes(event.data)), at)
        self._flush()

    def _message(self, message: dict[str, Any], at: float) -> None:
        kind = message.get("type")
        if kind == "stock_changed":
            self._received[message["stock"]].append(at)
        elif kind == "ping":
            self.ws.send_text(b'{"type":"pong"}')
        elif kind == "subscribed":
            self._on_subscribed()
        else:
            self._closed.append(f"unexpected message {message}")

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stopping:
            self._closed.append(f"{self.ws.close_code} {self.ws.close_reason}")

    def close(self) -> None:
        self.stopping = True
        if self._transport is not None:
            self.ws.send_close(1000)
            self._flush()
            self._transport.close()

    def _flush(self) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                self._transport.write(chunk)
            else:
                self._transport.close()
                return


async def _clients(pipe: Connection, urls: list[str], product_id: str) -> WorkerResult:
    """Connect one client per url (bounded concurrency), report ready, record until "stop"."""
    from urllib.parse import urlsplit

    result = WorkerResult(clients=len(urls))
    received: dict[int, list[float]] = defaultdict(list)
    subscribe = json.dumps({"type": "subscribe", "product_ids": [product_id]}).encode()
    loop = asyncio.get_running_loop()
    subscribed = 0
    all_subscribed = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[FeedClient] = []

    def on_subscribed() -> None:
        nonlocal subscribed
        subscribed += 1
        if subscribed == len(urls):
            all_subscribed.set()
        gate.release()

    async def connect(url: str) -> None:
        await gate.acquire()  # released once this client is subscribed
        parts = urlsplit(url)
        client = FeedClient(url, subscribe, received, on_subscribed, result.closed)
        clients.append(client)
        await loop.create_connection(lambda: client, parts.hostname or HOST, parts.port or 80)

    await asyncio.gather(*(connect(url) for url in urls))
    try:
        await asyncio.wait_for(all_subscribed.wait(), 120)
    except TimeoutError:
        raise BenchError(f"{subscribed} of {len(urls)} clients subscribed; "
                         f"errors: {result.closed[:5]}") from None
    pipe.send(("ready", len(urls)))
    await loop.run_in_executor(None, pipe.recv)  # the parent's "stop"
    for client in clients:
        client.close()
    await asyncio.sleep(0.5)
    result.received = dict(received)
    return result


class ClientProcess:
    def __init__(self, urls: list[str], product_id: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=run_clients, args=(child, urls, product_id),
                                       daemon=True)
        self.clients = len(urls)

    def start(self) -> None:
        self.process.start()

    def expect(self, kind: str, timeout: float) -> tuple[Any, ...]:
        if not self.pipe.poll(timeout):
            raise BenchError(f"client process did not report {kind!r} within {timeout:.0f} s")
        message: tuple[Any, ...] = self.pipe.recv()
        if message[0] == "error":
            raise BenchError(f"client process failed: {message[1]}")
        if message[0] != kind:
            raise BenchError(f"client process said {message[0]!r}, expected {kind!r}")
        return message

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


# ------------------------------------------------------------------ measurement


@dataclass
class Change:
    stock: int
    sent_at: float
    answered_at: float
    """When the adjustment's HTTP response arrived (the write itself, commit included)."""
    server: str


def adjust(server: Server, token: str, product_id: str, stock_before: int) -> Change:
    sent_at = time.time()
    status, body = server.request("POST", f"/api/v1/inventory/{product_id}/adjustments",
                                  {"delta": 1, "reason": "bench"}, token=token)
    if status != 200 or not isinstance(body, dict) or body.get("stock") != stock_before + 1:
        raise BenchError(f"adjustment on {server.name} answered {status}: {body}")
    return Change(stock=stock_before + 1, sent_at=sent_at, answered_at=time.time(),
                  server=server.name)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 50 values is the 50th)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def merge(results: list[WorkerResult]) -> dict[int, list[float]]:
    merged: dict[int, list[float]] = defaultdict(list)
    for result in results:
        for stock, times in result.received.items():
            merged[stock].extend(times)
    return merged


def summarise(changes: list[Change], received: dict[int, list[float]],
              clients: int) -> dict[str, Any]:
    last_ms: list[float] = []
    after_answer_ms: list[float] = []
    every_ms: list[float] = []
    problems: list[str] = []
    for change in changes:
        times = received.get(change.stock, [])
        if len(times) != clients:
            problems.append(f"stock {change.stock}: {len(times)} deliveries for {clients} clients")
        if times:
            last_ms.append((max(times) - change.sent_at) * 1000)
            after_answer_ms.append((max(times) - change.answered_at) * 1000)
            every_ms.extend((t - change.sent_at) * 1000 for t in times)
    if not last_ms:
        raise BenchError("no change reached any client")
    return {
        "changes": len(changes),
        "last_client_p50_ms": round(percentile(last_ms, 50), 2),
        "last_client_p99_ms": round(percentile(last_ms, 99), 2),
        "last_client_max_ms": round(max(last_ms), 2),
        "request_p50_ms": round(percentile(
            [(c.answered_at - c.sent_at) * 1000 for c in changes], 50), 2),
        "request_p99_ms": round(percentile(
            [(c.answered_at - c.sent_at) * 1000 for c in changes], 99), 2),
        "every_delivery_p50_ms": round(percentile(every_ms, 50), 2),
        "every_delivery_p99_ms": round(percentile(every_ms, 99), 2),
        "last_client_after_answer_p50_ms": round(percentile(after_answer_ms, 50), 2),
        "last_client_after_answer_p99_ms": round(percentile(after_answer_ms, 99), 2),
        "last_client_ms_slowest": sorted((round(ms, 1) for ms in last_ms), reverse=True)[:5],
        "fanout_messages_per_sec_median": round(
            statistics.median(clients / (ms / 1000) for ms in last_ms), 0),
        "problems": problems,
    }


def burst_rate(changes: list[Change], received: dict[int, list[float]]) -> dict[str, Any]:
    delivered = sum(len(received.get(change.stock, [])) for change in changes)
    last = max(max(received.get(change.stock, [0.0])) for change in changes)
    elapsed = last - changes[0].sent_at
    return {
        "changes": len(changes),
        "messages": delivered,
        "seconds": round(elapsed, 3),
        "messages_per_sec": round(delivered / elapsed, 0) if elapsed > 0 else None,
        "requests_per_sec": round(len(changes) / (changes[-1].sent_at - changes[0].sent_at), 1)
        if len(changes) > 1 else None,
    }


def wait_for_deliveries(seconds: float) -> None:
    """Deliveries are only counted at the end; leave them time to land (a bound, not a test)."""
    time.sleep(seconds)


# ----------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--clients", type=int, default=1000, help="websocket clients (default 1000)")
    p.add_argument("--servers", type=int, default=2, help="shop serve processes (default 2)")
    p.add_argument("--changes", type=int, default=50,
                   help="paced stock changes of the latency phase (default 50)")
    p.add_argument("--interval", type=float, default=0.3,
                   help="seconds between paced changes (default 0.3)")
    p.add_argument("--burst", type=int, default=100,
                   help="back-to-back changes of the throughput phase (default 100; 0 skips)")
    p.add_argument("--warmup", type=int, default=5, help="unmeasured changes first (default 5)")
    p.add_argument("--client-processes", type=int, default=2,
                   help="processes the clients are spread over (default 2)")
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument("--admin-dsn", default=f"postgresql://postgres@{HOST}:5432/postgres",
                   help="PostgreSQL DSN used to create and drop the bench database")
    p.add_argument("--redis-url", default=f"redis://{HOST}:6379/0")
    p.add_argument("--shop", default=str(Path(sys.executable).parent / "shop"),
                   help="the shop executable (default: the one next to this Python)")
    p.add_argument("--ready-timeout", type=float, default=60.0)
    p.add_argument("--server-env", action="append", default=[], metavar="SHOP_X=VALUE",
                   help="extra setting for the servers, e.g. SHOP_WS_HEARTBEAT_SECONDS=0 "
                   "(repeatable)")
    args = p.parse_args(argv)
    if any("=" not in item or not item.startswith("SHOP_") for item in args.server_env):
        p.error("--server-env takes SHOP_NAME=value")
    if min(args.clients, args.servers, args.changes, args.client_processes) < 1:
        p.error("--clients, --servers, --changes and --client-processes must be >= 1")
    if args.interval < 0 or args.burst < 0 or args.warmup < 0:
        p.error("--interval, --burst and --warmup must be >= 0")
    return args


def machine() -> dict[str, Any]:
    return {"nproc": len(os.sched_getaffinity(0)),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def run(args: argparse.Namespace, servers: list[Server],
        workers: list[ClientProcess]) -> dict[str, Any]:
    """Everything between 'servers ready' and 'results in': the part that is measured."""
    admin = servers[0]
    status, body = admin.request("POST", "/api/v1/auth/token",
                                 {"email": admin.env["SHOP_ADMIN_EMAIL"],
                                  "password": admin.env["SHOP_ADMIN_PASSWORD"]})
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"admin sign-in answered {status}: {body}")
    token = str(body["access_token"])
    status, category = admin.request("POST", "/api/v1/categories", {"name": "Fan-out"}, token)
    if status != 201:
        raise BenchError(f"creating the category answered {status}: {category}")
    status, product = admin.request("POST", "/api/v1/products", {
        "name": "Hot item", "price": "10.00", "category_id": category["id"],
        "stock": INITIAL_STOCK}, token)
    if status != 201:
        raise BenchError(f"creating the product answered {status}: {product}")
    product_id = str(product["id"])

    urls = [servers[i % len(servers)].ws_url for i in range(args.clients)]
    for n in range(args.client_processes):
        workers.append(ClientProcess(urls[n::args.client_processes], product_id))
        workers[-1].start()
    started = time.monotonic()
    for worker in workers:
        worker.expect("ready", timeout=120)
    log(f"{args.clients} clients subscribed in {time.monotonic() - started:.1f} s "
                 f"({len(workers)} client processes, {len(servers)} servers)")

    stock = INITIAL_STOCK
    for n in range(args.warmup):
        stock = adjust(servers[n % len(servers)], token, product_id, stock).stock
        time.sleep(args.interval)

    server_groups = {s.pgid for s in servers if s.pgid}
    client_pids = {w.process.pid for w in workers if w.process.pid}

    def sample() -> dict[int, tuple[str, float]]:
        return cpu_sample(server_groups, client_pids)

    cpu_before, wall_before = sample(), time.monotonic()
    paced: list[Change] = []
    for n in range(args.changes):
        change = adjust(servers[n % len(servers)], token, product_id, stock)
        paced.append(change)
        stock = change.stock
        time.sleep(args.interval)
    cpu_paced = cpu_percent(cpu_before, sample(), time.monotonic() - wall_before)

    burst: list[Change] = []
    cpu_burst: dict[str, float] = {}
    if args.burst:
        cpu_before, wall_before = sample(), time.monotonic()
        for n in range(args.burst):
            change = adjust(servers[n % len(servers)], token, product_id, stock)
            burst.append(change)
            stock = change.stock
        wait_for_deliveries(2.0)
        cpu_burst = cpu_percent(cpu_before, sample(), time.monotonic() - wall_before)
    wait_for_deliveries(1.0)

    results: list[WorkerResult] = []
    for worker in workers:
        worker.pipe.send("stop")
    for worker in workers:
        _, received, closed, clients = worker.expect("result", timeout=60)
        results.append(WorkerResult(received=received, closed=closed, clients=clients))
    received = merge(results)
    closed = [reason for result in results for reason in result.closed]
    report: dict[str, Any] = {
        "latency": summarise(paced, received, args.clients),
        "cpu_percent_latency_phase": cpu_paced,
        "closed_by_server": closed,
    }
    if burst:
        report["burst"] = burst_rate(burst, received)
        report["burst"]["problems"] = summarise(burst, received, args.clients)["problems"]
        report["cpu_percent_burst_phase"] = cpu_burst
    return report


def print_report(report: dict[str, Any]) -> None:
    cfg, lat = report["config"], report["latency"]
    print()
    print(f"shop websocket fan-out: {cfg['clients']} clients on /ws/inventory, one product, "
          f"{cfg['servers']} servers (PostgreSQL + Redis), {cfg['client_processes']} client "
          "processes")
    m0, m1 = report["machine_before"], report["machine_after"]
    print(f"machine: nproc={m0['nproc']}, loadavg before {m0['loadavg']}, after {m1['loadavg']}")
    print()
    verdict = "MET" if lat["last_client_p99_ms"] < TARGET_P99_MS else "NOT MET"
    print(f"latency phase: {lat['changes']} changes, {cfg['interval']} s apart, alternating "
          "servers; from the adjustment request to the client receiving it")
    print(f"  last client:    p50 {lat['last_client_p50_ms']:8.2f} ms   "
          f"p99 {lat['last_client_p99_ms']:8.2f} ms   max {lat['last_client_max_ms']:8.2f} ms"
          f"   (target p99 < {TARGET_P99_MS:.0f} ms: {verdict})")
    print(f"  slowest last-client times: {lat['last_client_ms_slowest']} ms")
    print(f"  every delivery: p50 {lat['every_delivery_p50_ms']:8.2f} ms   "
          f"p99 {lat['every_delivery_p99_ms']:8.2f} ms")
    print(f"  (the adjustment's own HTTP answer: p50 {lat['request_p50_ms']:.2f} ms, "
          f"p99 {lat['request_p99_ms']:.2f} ms; last client after that answer: "
          f"p50 {lat['last_client_after_answer_p50_ms']:.2f} ms, "
          f"p99 {lat['last_client_after_answer_p99_ms']:.2f} ms)")
    print(f"  fan-out rate (clients / time to the last one), median: "
          f"{lat['fanout_messages_per_sec_median']:.0f} messages/s")
    print(f"  cpu% {report['cpu_percent_latency_phase']}")
    if "burst" in report:
        burst = report["burst"]
        print(f"burst phase: {burst['changes']} changes back to back "
              f"({burst['requests_per_sec']} requests/s)")
        print(f"  delivered {burst['messages']} messages in {burst['seconds']} s: "
              f"{burst['messages_per_sec']:.0f} messages/s")
        print(f"  cpu% {report['cpu_percent_burst_phase']}")
    problems = report["latency"]["problems"] + report.get("burst", {}).get("problems", [])
    print(f"missing or duplicated deliveries: {problems or 'none'}")
    print(f"clients closed by a server: {report['closed_by_server'] or 'none'}")
    print("cpu% = share of one core over the phase (200 = both cores); servers = both process "
          "groups, clients = the client processes, redis/postgres = every such process here.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.access(args.shop, os.X_OK):
        raise BenchError(f"no shop executable at {args.shop}")
    raise_open_files_limit(2 * args.clients + 1024)

    tag = secrets.token_hex(4)
    database, prefix = f"shop_bench_{tag}", f"shop-bench-{tag}:"
    services = Services(args.admin_dsn, args.redis_url)
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-ws-"))
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
    servers = [Server(f"server-{n}", args.shop, env, workdir) for n in range(args.servers)]
    workers: list[ClientProcess] = []
    created_db = failed = False
    try:
        machine_before = machine()
        log(f"database {database}, Redis prefix {prefix!r}, logs in {workdir}")
        services.create_database(database)
        created_db = True
        servers[0].run_command("migrate")
        # One after the other: servers starting together race to create the bench admin.
        for server in servers:
            server.start()
            server.wait_ready(args.ready_timeout)
        log("servers ready: " + ", ".join(f"{s.name} :{s.port}" for s in servers))
        report = run(args, servers, workers)
        report.update(config={k: getattr(args, k) for k in (
            "clients", "servers", "changes", "interval", "burst", "warmup", "client_processes",
            "server_env")},
            machine_before=machine_before, machine_after=machine(), target_p99_ms=TARGET_P99_MS)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_report(report)
        problems = report["latency"]["problems"] + report.get("burst", {}).get("problems", [])
        if problems or report["closed_by_server"]:
            failed = True
            return 1
        return 0
    except BaseException:
        failed = True
        raise
    finally:
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
        release_resources(services, database=database if created_db else None,
                          prefix=prefix, workdir=workdir, keep_workdir=failed)


if __name__ == "__main__":
    run_main(main)
