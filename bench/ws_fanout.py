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
import json
import multiprocessing
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

from harness import (
    HOST,
    BenchError,
    Deployment,
    Server,
    add_common_arguments,
    check_common_arguments,
    cpu_percent,
    cpu_sample,
    cpu_used,
    deployment,
    log,
    machine,
    percentile,
    print_machine,
    run_main,
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


def ws_url(server: Server) -> str:
    return f"ws://{HOST}:{server.port}/ws/inventory"


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
    add_common_arguments(p, ready_timeout=60.0)
    args = p.parse_args(argv)
    check_common_arguments(p, args)
    if min(args.clients, args.servers, args.changes, args.client_processes) < 1:
        p.error("--clients, --servers, --changes and --client-processes must be >= 1")
    if args.interval < 0 or args.burst < 0 or args.warmup < 0:
        p.error("--interval, --burst and --warmup must be >= 0")
    return args


def run(args: argparse.Namespace, bench: Deployment,
        workers: list[ClientProcess]) -> dict[str, Any]:
    """Everything between 'servers ready' and 'results in': the part that is measured."""
    servers = bench.servers
    admin = servers[0]
    token = bench.admin_token()
    status, category = admin.request("POST", "/api/v1/categories", {"name": "Fan-out"}, token)
    if status != 201:
        raise BenchError(f"creating the category answered {status}: {category}")
    status, product = admin.request("POST", "/api/v1/products", {
        "name": "Hot item", "price": "10.00", "category_id": category["id"],
        "stock": INITIAL_STOCK}, token)
    if status != 201:
        raise BenchError(f"creating the product answered {status}: {product}")
    product_id = str(product["id"])

    urls = [ws_url(servers[i % len(servers)]) for i in range(args.clients)]
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

    server_groups = {"servers": [s.pgid for s in servers]}
    client_pids = {"clients": [w.process.pid for w in workers]}

    def sample() -> dict[int, tuple[str, float]]:
        return cpu_sample(server_groups, client_pids)

    cpu_before, wall_before = sample(), time.monotonic()
    paced: list[Change] = []
    for n in range(args.changes):
        change = adjust(servers[n % len(servers)], token, product_id, stock)
        paced.append(change)
        stock = change.stock
        time.sleep(args.interval)
    cpu_paced = cpu_percent(cpu_used(cpu_before, sample()), time.monotonic() - wall_before)

    burst: list[Change] = []
    cpu_burst: dict[str, float] = {}
    if args.burst:
        cpu_before, wall_before = sample(), time.monotonic()
        for n in range(args.burst):
            change = adjust(servers[n % len(servers)], token, product_id, stock)
            burst.append(change)
            stock = change.stock
        wait_for_deliveries(2.0)
        cpu_burst = cpu_percent(cpu_used(cpu_before, sample()), time.monotonic() - wall_before)
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
    print_machine(report["machine_before"], report["machine_after"])
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
    raise_open_files_limit(2 * args.clients + 1024)
    machine_before = machine()
    workers: list[ClientProcess] = []
    with deployment(args, servers=args.servers, name="bench-ws") as bench:
        try:
            report = run(args, bench, workers)
        finally:
            for worker in workers:
                worker.stop()
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
            bench.keep_logs = True
            return 1
        return 0


if __name__ == "__main__":
    run_main(main)
