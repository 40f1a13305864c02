"""The `shop` command: serve, worker, migrate, seed-demo, create-admin, analytics, events,
ai reindex.

Settings come from `SHOP_*` variables (see `shop.settings.Settings`); flags
only cover what differs per invocation (host, port, workers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import importlib.util
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shop.application.ai.errors import AiDisabled
from shop.application.customers.commands import EnsureAdmin
from shop.bootstrap import bootstrap, build_runtime
from shop.domain.shared.errors import DomainError
from shop.infrastructure.events.dead_letters import UnknownDeadLetter, replay_dead_letter
from shop.infrastructure.events.delivery import describe
from shop.infrastructure.events.received import format_occurred_at
from shop.infrastructure.observability.metrics import serve_exposition
from shop.interfaces.analytics_rebuild import rebuild_analytics
from shop.interfaces.demo_catalog import seed_demo_catalog
from shop.settings import ENV_PREFIX, Settings

if TYPE_CHECKING:
    from granian.constants import Loops

Result = TypeVar("Result")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP and websocket API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (default 1; more need SHOP_REDIS_URL)")

    worker = commands.add_parser("worker", help="run the event consumers, the outbox relay "
                                 "and order recovery (with Redis; start as many as you like)")
    worker.add_argument("--metrics-port", type=int, default=0,
                        help="serve this process's Prometheus metrics on this port (default 0: "
                             "off)")
    worker.add_argument("--metrics-host", default="127.0.0.1",
                        help="address of the metrics port (default 127.0.0.1)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("seed-demo", help="load a demo catalog into an empty shop")

    admin = commands.add_parser("create-admin", help="ensure an admin account exists")
    admin.add_argument("--email", required=True, help="the admin's email")

    analytics = commands.add_parser("analytics", help="the analytics projections")
    analytics_commands = analytics.add_subparsers(dest="analytics_command", required=True,
                                                  metavar="ACTION")
    analytics_commands.add_parser(
        "rebuild", help="recompute every analytics projection from the orders and stock")
    events = commands.add_parser("events", help="events that a consumer gave up on")
    events_commands = events.add_subparsers(dest="events_command", required=True,
                                            metavar="SUBCOMMAND")
    letters = events_commands.add_parser("dead-letters", help="list the dead letters, oldest "
                                                              "first")
    letters.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    replay = events_commands.add_parser("replay", help="hand a dead letter to its consumer "
                                                       "again; removed once it succeeds")
    replay.add_argument("id", help="the dead letter's id, as `shop events dead-letters` shows")

    ai = commands.add_parser("ai", help="the AI features' maintenance")
    ai_commands = ai.add_subparsers(dest="ai_command", required=True, metavar="AI_COMMAND")
    ai_commands.add_parser("reindex", help="recompute every product embedding (after a model "
                           "change), with a progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()  # each command's runtime configures logging from it
    except ValueError as malformed:  # a setting's value, named in the message
        print(f"shop: {malformed}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return serve(settings, host=args.host, port=args.port, workers=args.workers)
    if args.command == "worker":
        if args.metrics_port:
            serve_exposition(args.metrics_host, args.metrics_port)
        return run_command(_worker(settings))
    if args.command == "migrate":
        return run_command(_migrate(settings))
    if args.command == "seed-demo":
        return run_command(_seed_demo(settings))
    if args.command == "create-admin":
        return run_command(_create_admin(settings, args.email))
    if args.command == "analytics":
        return run_command(rebuild_analytics(settings))
    if args.command == "events":
        if args.events_command == "dead-letters":
            return run_command(_dead_letters(settings, args.limit))
        return run_command(_replay(settings, args.id))

    if args.command == "ai":
        return run_command(reindex_embeddings(settings))
    raise AssertionError(f"unhandled command {args.command}")  # argparse refuses others


def _workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why `shop serve` cannot run this many workers, if it cannot.

    Without Redis every worker keeps its own product cache and its own
    websocket feeds: a write made through one worker would leave the others
    serving the product as it was (for the cache's lifetime) and their
    subscribers unaware, breaking the contract's read-your-writes.
    """
    if workers < 1:
        return f"--workers must be at least 1, not {workers}"
    if workers > 1 and not settings.redis_url:
        return (f"--workers {workers} needs SHOP_REDIS_URL: without Redis each worker keeps "
                "its own product cache and websocket feeds, so a write made through one "
                "worker would not reach the others' reads and subscribers; run one worker, "
                "or set SHOP_REDIS_URL")
    return None


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Migrate once in this process (so workers never race on it), then run granian.

    The workers are spawned, not forked, and find the metrics directory in their
    environment: prometheus_client picks its multiprocess value store when it is
    first imported, which must happen in each worker after that variable is set.
    Their database pool size comes the same way, so that by default they share one
    pool's worth of connections instead of each opening that many.
    """
    from granian.constants import Interfaces
    from granian.server import Server

    refusal = _workers_refusal(settings, workers)
    if refusal:
        print(f"shop: {refusal}", file=sys.stderr)
        return 2
    metrics_dir = _prepare_metrics_dir(settings.metrics_dir)
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(metrics_dir)
    os.environ[f"{ENV_PREFIX}METRICS_DIR"] = str(metrics_dir)
    # Each worker reads its share of the default pool, not the whole default.
    pool_size = settings.database_pool_size_per_worker(workers)
    os.environ[f"{ENV_PREFIX}DATABASE_POOL_SIZE"] = str(pool_size)
    multiprocessing.set_start_method("spawn", force=True)
    if settings.should_migrate_on_start:
        run_command(_migrate(settings, quiet=True))
    database = settings.effective_database_url.split("://")[0]
    if not settings.is_embedded_database:
        database += f", {pool_size} connections per worker"
    print(f"shop: serving on http://{host}:{port} "
          f"(database: {database}, "
          f"redis: {'on' if settings.redis_url else 'off'}); docs at /schema/swagger",
          file=sys.stderr)
    Server(
        "shop.interfaces.http.app:create_app",
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=event_loop(),
        log_access=False,  # the app logs requests itself, with request ids
        websockets=True,
    ).serve()
    if settings.metrics_dir is None:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def event_loop() -> Loops:
    """uvloop wherever it is installed (a dependency but on Windows), else asyncio's loop.

    Under granian every request and response crosses from its Rust threads to
    the loop's thread, and uvloop takes those hand-overs for less: orders
    through `shop serve` came to 1.1-1.2x those on asyncio's loop, catalog
    reads to 1.2-1.35x, with nothing else changed (in process, without
    granian, the two loops cost the same; bench/README.md, 2026-12-07).
    Named, not left to granian's `auto`, so the choice is stated and tested.
    """
    from granian.constants import Loops

    return Loops.uvloop if _uvloop_installed() else Loops.asyncio


def run_command(main: Coroutine[Any, Any, Result]) -> Result:
    """Run a command to its end on the loop `shop serve` runs the app on.

    `shop worker` is the one it matters to: its consumers read the events
    stream in many small replies, and on uvloop the consumer runtime drained
    1.16x the events per second of asyncio's loop, two processes 1.34x
    (bench/README.md, 2026-12-07). The one-shot commands follow, so every
    command runs the same way. A library embedding the shop keeps its own loop.
    """
    with asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        return runner.run(main)


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    if _uvloop_installed():
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def _uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own variable: set, every process writes its metrics to files there."""


def _prepare_metrics_dir(configured: Path | None) -> Path:
    """An empty directory for this server's metric files: values left by an earlier run
    would be added to this one's (counters would start above zero)."""
    if configured is None:
        return Path(tempfile.mkdtemp(prefix="shop-metrics-"))
    configured.mkdir(parents=True, exist_ok=True)
    for leftover in configured.glob("*.db"):
        leftover.unlink()
    return configured


async def _migrate(settings: Settings, *, quiet: bool = False) -> int:
    runtime = build_runtime(settings)
    try:
        await runtime.migrate()
    finally:
        await runtime.stop()
    if not quiet:
        print("shop: database schema is up to date")
    return 0


async def _seed_demo(settings: Settings) -> int:
    async with bootstrap(settings.with_overrides(migrate_on_start=True)) as runtime:
        categories, products = await seed_demo_catalog(runtime.bus)
    if categories or products:
        print(f"shop: seeded {categories} categories and {products} products")
    else:
        print("shop: the catalog is not empty; nothing seeded")
    return 0


async def _create_admin(settings: Settings, email: str) -> int:
    """The password comes from SHOP_ADMIN_PASSWORD or a prompt, never from the command line."""
    password = settings.admin_password or getpass.getpass(f"password for {email}: ")
    async with bootstrap(settings.with_overrides(migrate_on_start=True, admin_email=None)) as rt:
        try:
            admin = await rt.bus.handle(EnsureAdmin(email=email, password=password))
        except DomainError as error:
            print(f"shop: {error.detail}", file=sys.stderr)
            return 2
    print(f"shop: {admin.email} is an admin")
    return 0


async def reindex_embeddings(settings: Settings) -> int:
    """`shop ai reindex`: every live product through the model again, a bar showing how far."""
    async with bootstrap(settings.with_overrides(migrate_on_start=True)) as runtime:
        with Progress(TextColumn("embedding products"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn()) as progress:
            task = progress.add_task("reindex", total=None)
            try:
                done = await runtime.reindex_embeddings(
                    lambda done, total: progress.update(task, completed=done, total=total))
            except AiDisabled as error:
                print(f"shop: {error.detail}; nothing to index", file=sys.stderr)
                return 2
    print(f"shop: {done} products embedded with {runtime.container.embedder().model_id}")
    return 0


WORKER_RECOVERY_SECONDS = 30.0


async def _worker(settings: Settings) -> int:
    """Run the event consumers, relay the outbox and settle stuck orders until SIGINT/SIGTERM.

    Several workers can run: they share each consumer group's events, the
    relay's lead is shared through Redis, and settling an order is idempotent.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bootstrap(settings) as runtime:
        await runtime.start_consuming()
        names = ", ".join(c.name for c in runtime.container.consumers()) or "none"
        print(f"shop: worker running (consumers: {names}; outbox relay, order recovery); "
              "Ctrl-C to stop", file=sys.stderr)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WORKER_RECOVERY_SECONDS)
            if not stop.is_set():
                await runtime.settle_pending_orders()
    return 0


async def _dead_letters(settings: Settings, limit: int) -> int:
    runtime = build_runtime(settings)
    try:
        letters = await runtime.container.dead_letters().oldest(limit)
    finally:
        await runtime.stop()
    if not letters:
        print("shop: no dead letters")
    for letter in letters:
        print(f"{letter.id}  {format_occurred_at(letter.failed_at)}  {letter.consumer}  "
              f"{letter.event.type} {letter.event.id}  after {letter.deliveries} deliveries: "
              f"{letter.error}")
    return 0


async def _replay(settings: Settings, letter_id: str) -> int:
    """Run the letter's consumer on it in this process; the worker need not be running."""
    runtime = build_runtime(settings)
    try:
        letter = await replay_dead_letter(runtime.container.dead_letters(),
                                          runtime.container.consumers(), letter_id)
    except UnknownDeadLetter as error:
        print(f"shop: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        print(f"shop: {letter_id} failed again and is kept: {describe(error)}", file=sys.stderr)
        return 1
    finally:
        await runtime.stop()
    print(f"shop: replayed {letter.event.type} {letter.event.id} to {letter.consumer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
