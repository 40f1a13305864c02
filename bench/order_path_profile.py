"""The order path in one process: CPU, SQL statements and Redis commands per order.

`order_placement.py` measures what a client sees through granian and wrk; this
one calls the app as an ASGI callable (no sockets, no server, no load
generator), on a fresh PostgreSQL database and Redis prefix, so the numbers
are the app's own: process CPU per order, each SQL statement the engine sent
(by kind and table) and the new pooled connections, per order. Run it under
py-spy to see where that CPU goes:

    .venv/bin/py-spy record -r 250 -f raw -o orders.raw -- \\
        .venv/bin/python bench/order_path_profile.py --orders 1200

It places `--orders` one-line orders (`tok_visa`, 1 unit of a random product)
from `--concurrency` tasks after 20 unmeasured ones, then drops the database
and the Redis keys it made. Redis commands are the whole server's (shared:
an upper bound).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvloop
from harness import Services, log, release, run_main, sqlalchemy_url
from sqlalchemy import event

from shop.bootstrap import build_runtime
from shop.infrastructure.db.schema import metadata
from shop.infrastructure.observability.query_timing import kind_and_table
from shop.interfaces.http.app import create_app
from shop.settings import Settings

PASSWORD = "Bench-password-123"
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop, "asyncio": asyncio.new_event_loop}
"""The app's loop under `shop serve` is uvloop (`shop.interfaces.cli.event_loop`)."""


class AsgiClient:
    """JSON requests straight into the app, with its lifespan run around them.

    Not Litestar's AsyncTestClient: that runs the app in a thread of its own,
    behind a blocking portal, so a profile of this process's event loop would
    see the client waiting instead of the app working.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lifespan: asyncio.Task[None] | None = None
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> AsgiClient:
        self._to_app.put_nowait({"type": "lifespan.startup"})
        self._lifespan = asyncio.create_task(self._app(
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            self._to_app.get, self._from_app.put))
        started = await self._from_app.get()
        if started["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {started}")
        return self

    async def __aexit__(self, *_: object) -> None:
        self._to_app.put_nowait({"type": "lifespan.shutdown"})
        await self._from_app.get()

    async def post(self, path: str, body: Any, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode()
        headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(data)).encode())]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "headers": headers,
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
        sent = False
        answer: dict[str, Any] = {"status": 0, "body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # nothing more to read: wait to be cancelled
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self._app(scope, receive, send)
        return answer["status"], json.loads(answer["body"]) if answer["body"] else None


async def expect(client: AsgiClient, status: int, path: str, body: Any,
                 token: str | None = None) -> Any:
    got, answer = await client.post(path, body, token)
    if got != status:
        raise RuntimeError(f"POST {path} answered {got}: {answer}")
    return answer


async def profile(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    runtime = build_runtime(settings)
    statements: collections.Counter[str] = collections.Counter()
    engine = runtime.container.engine().sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def count_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind, table = kind_and_table(statement, metadata.tables)
        statements[f"{kind} {table}"] += 1

    @event.listens_for(engine.pool, "connect")
    def count_connection(*_: Any) -> None:
        statements["new pooled connection"] += 1

    async with AsgiClient(create_app(settings, runtime=runtime)) as client:
        admin = (await expect(client, 200, "/api/v1/auth/token", {
            "email": settings.admin_email, "password": settings.admin_password}))["access_token"]
        category = (await expect(client, 201, "/api/v1/categories", {"name": "Bench"},
                                 admin))["id"]
        products = [(await expect(client, 201, "/api/v1/products", {
            "name": f"Bench {n}", "price": "9.99", "category_id": category,
            "stock": 1_000_000}, admin))["id"] for n in range(args.products)]
        tokens = []
        for n in range(args.customers):
            email = f"bench-{n}@example.com"
            await expect(client, 201, "/api/v1/auth/register",
                         {"email": email, "password": PASSWORD, "full_name": "Bench Customer"})
            tokens.append((await expect(client, 200, "/api/v1/auth/token",
                                        {"email": email, "password": PASSWORD}))["access_token"])

        async def place() -> None:
            await expect(client, 201, "/api/v1/orders", {
                "items": [{"product_id": random.choice(products), "quantity": 1}],
                "payment": {"method": "card", "token": "tok_visa"}}, random.choice(tokens))

        for _ in range(20):
            await place()
        left = args.orders

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await place()

        statements.clear()
        redis_before = Services(args.admin_dsn, args.redis_url).redis_commands()
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        redis_after = Services(args.admin_dsn, args.redis_url).redis_commands()
    per_order = {key: round(count / args.orders, 2) for key, count in statements.most_common()}
    return {
        "orders": args.orders, "concurrency": args.concurrency, "seconds": round(seconds, 2),
        "orders_per_second": round(args.orders / seconds, 1),
        "process_cpu_ms_per_order": round(cpu / args.orders * 1000, 2),
        "statements_per_order": round(sum(v for k, v in statements.items()
                                          if k != "new pooled connection") / args.orders, 2),
        "per_order": per_order,
        "redis_commands_per_order": None if redis_before is None or redis_after is None
        else round((redis_after - redis_before) / args.orders, 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--loop", choices=sorted(LOOPS), default="uvloop",
                        help="the event loop; `shop serve` runs on uvloop (default)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tag = secrets.token_hex(4)
    database, prefix = f"shop_bench_{tag}", f"shop-bench-{tag}:"
    workdir = Path(tempfile.mkdtemp(prefix="shop-order-path-"))
    services = Services(args.admin_dsn, args.redis_url)
    services.create_database(database)
    settings = Settings(
        database_url=sqlalchemy_url(args.admin_dsn, database), redis_url=args.redis_url,
        redis_prefix=prefix, events_stream=f"{prefix}events", migrate_on_start=True,
        jwt_secret=secrets.token_hex(32), admin_email=f"bench-admin-{tag}@example.com",
        admin_password=secrets.token_urlsafe(18), access_log=False, log_level="WARNING",
        data_dir=workdir / "data", ai_enabled=False)
    try:
        log(f"database {database}, Redis prefix {prefix!r}: {args.orders} orders from "
            f"{args.concurrency} tasks")
        with asyncio.Runner(loop_factory=LOOPS[args.loop]) as runner:
            result = runner.run(profile(args, settings))
    finally:
        release(services, database=database, prefix=prefix, workdir=workdir,
                keep_workdir=False)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['orders']} orders from {result['concurrency']} tasks in "
              f"{result['seconds']} s ({result['orders_per_second']}/s); process CPU per "
              f"order {result['process_cpu_ms_per_order']} ms")
        print(f"SQL statements per order: {result['statements_per_order']}")
        for key, count in result["per_order"].items():
            print(f"  {count:6.2f}  {key}")
        print(f"Redis commands per order (the whole server's): "
              f"{result['redis_commands_per_order']}")
    return 0


if __name__ == "__main__":
    run_main(main)
