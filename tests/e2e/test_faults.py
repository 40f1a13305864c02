"""Faults a store survives: its database or Redis going away under load, a server killed mid-order.

Each test runs real `shop serve` (and `shop worker`) processes against private
services it may stop (tests/e2e/private_services.py), places orders from
several clients while the fault happens, and then reads the database itself:
every order is complete (Paid, its stock taken, its events published) or
Cancelled with its stock back, and nothing is left Pending. During an outage
requests answer 503 problems without hanging (each request has a generous
client timeout only so a hang fails the test; nothing asserts durations).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.db.schema import order_lines, orders, outbox, stock
from shop.settings import Settings
from tests.e2e.private_services import (
    PrivatePostgres,
    PrivateRedis,
    private_postgres,
    private_redis,
)
from tests.e2e.servers import SHOP, ServerProcess, free_port, running_servers, settings_env
from tests.e2e.shop_client import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET

PROBLEM = "application/problem+json"
REQUEST_TIMEOUT = 30.0
INITIAL_STOCK = 100_000
CLIENTS = 3
SETTLED_WITHIN = 150.0
"""Polling bound for the recovery (the worker settles every 30 s); not a timing assertion."""

Json = dict[str, Any]


@dataclass
class Outcome:
    phase: str
    status: int | None
    is_problem: bool
    order_id: str | None = None
    error: str | None = None


@dataclass
class Load:
    """Clients placing one-unit orders in a loop until stopped, recording every answer."""

    base_url: str
    tokens: list[str]
    products: list[str]
    phase: str = "before"
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._client(token)) for token in self.tokens]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def count(self, phase: str, status: int | None = None) -> int:
        return sum(1 for o in self.outcomes
                   if o.phase == phase and (status is None or o.status == status))

    async def until(self, condition: Callable[[], bool], limit: float = 120.0) -> None:
        deadline = asyncio.get_running_loop().time() + limit
        while not condition():
            assert asyncio.get_running_loop().time() < deadline, Counter(
                (o.phase, o.status, o.error) for o in self.outcomes)
            await asyncio.sleep(0.1)

    async def _client(self, token: str) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT,
                                     trust_env=False) as client:
            turn = 0
            while not self._stop.is_set():
                product = self.products[turn % len(self.products)]
                turn += 1
                phase = self.phase
                body = {"items": [{"product_id": product, "quantity": 1}],
                        "payment": {"method": "card", "token": "tok_visa"}}
                try:
                    response = await client.post("/api/v1/orders", json=body,
                                                 headers={"Authorization": f"Bearer {token}"})
                except httpx.HTTPError as error:
                    self.outcomes.append(Outcome(phase, None, False, error=type(error).__name__))
                    await asyncio.sleep(0.2)
                    continue
                is_problem = response.headers.get("content-type", "").startswith(PROBLEM)
                order_id = response.json().get("id") if response.status_code == 201 else None
                self.outcomes.append(Outcome(phase, response.status_code, is_problem, order_id))
                await asyncio.sleep(0.02)


def fault_settings(root: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=root / "data", admin_email=ADMIN_EMAIL,
                    admin_password=ADMIN_PASSWORD, jwt_secret=JWT_SECRET, access_log=False,
                    log_level="WARNING", payment_timeout_seconds=1.0,
                    outbox_poll_seconds=0.1, **overrides)


@dataclass(frozen=True)
class Shop:
    base_url: str
    tokens: list[str]
    products: list[str]


async def set_up(base_url: str) -> Shop:
    """An admin's products and CLIENTS signed-in customers, through the public API."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT,
                                 trust_env=False) as client:
        async def token(email: str, password: str) -> str:
            response = await client.post("/api/v1/auth/token",
                                         json={"email": email, "password": password})
            assert response.status_code == 200, response.text
            value: str = response.json()["access_token"]
            return value

        admin = {"Authorization": f"Bearer {await token(ADMIN_EMAIL, ADMIN_PASSWORD)}"}
        category = (await client.post("/api/v1/categories", json={"name": "Faults"},
                                      headers=admin)).json()
        products = []
        for index in range(3):
            response = await client.post("/api/v1/products", headers=admin, json={
                "name": f"Fault {index}", "price": "3.00", "category_id": category["id"],
                "stock": INITIAL_STOCK})
            assert response.status_code == 201, response.text
            products.append(response.json()["id"])
        tokens = []
        for _ in range(CLIENTS):
            email = f"faulty-{uuid.uuid4().hex[:8]}@example.com"
            registered = await client.post("/api/v1/auth/register", json={
                "email": email, "password": "customer-password-1", "full_name": "F"})
            assert registered.status_code == 201, registered.text
            tokens.append(await token(email, "customer-password-1"))
    return Shop(base_url, tokens, products)


@dataclass(frozen=True)
class Ledger:
    statuses: Counter[str]
    paid: set[str]
    sold: dict[str, int]
    on_hand: dict[str, int]
    unpublished_events: int


async def read_ledger(database_url: str) -> Ledger:
    engine = build_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(orders.c.id, orders.c.status))).all()
            sold_rows = (await conn.execute(
                sa.select(order_lines.c.product_id, sa.func.sum(order_lines.c.quantity))
                .join(orders, orders.c.id == order_lines.c.order_id)
                .where(orders.c.status.in_(["Paid", "Shipped"]))
                .group_by(order_lines.c.product_id))).all()
            levels = (await conn.execute(sa.select(stock.c.product_id, stock.c.on_hand))).all()
            unpublished = (await conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                              .where(outbox.c.published_at.is_(None)))).scalar()
    finally:
        await engine.dispose()
    return Ledger(statuses=Counter(status for _, status in rows),
                  paid={str(order_id) for order_id, status in rows if status == "Paid"},
                  sold={str(p): int(q) for p, q in sold_rows},
                  on_hand={str(p): int(q) for p, q in levels},
                  unpublished_events=int(unpublished or 0))


async def settled_ledger(database_url: str) -> Ledger:
    """The ledger once no order is Pending any more (the recovery's work), or the last one."""
    deadline = asyncio.get_running_loop().time() + SETTLED_WITHIN
    while True:
        ledger = await read_ledger(database_url)
        if (ledger.statuses["Pending"] == 0 and ledger.unpublished_events == 0) \
                or asyncio.get_running_loop().time() > deadline:
            return ledger
        await asyncio.sleep(1.0)


def assert_every_order_complete_or_cancelled_with_its_stock_back(
    ledger: Ledger, shop: Shop, load: Load,
) -> None:
    assert set(ledger.statuses) <= {"Paid", "Cancelled"}, ledger.statuses
    for product in shop.products:
        assert ledger.on_hand[product] + ledger.sold.get(product, 0) == INITIAL_STOCK
    answered_paid = {o.order_id for o in load.outcomes if o.status == 201}
    assert answered_paid <= ledger.paid  # every order a client was told is placed, is Paid
    assert ledger.unpublished_events == 0  # and its events went out


def assert_answers_were_201_or_503_problems(load: Load) -> None:
    assert not [o for o in load.outcomes if o.error], Counter(o.error for o in load.outcomes)
    statuses = Counter(o.status for o in load.outcomes)
    assert set(statuses) <= {201, 503}, statuses
    assert all(o.is_problem for o in load.outcomes if o.status == 503)



@contextlib.contextmanager
def running_worker(settings: Settings, log_dir: Path) -> Iterator[ServerProcess]:
    """`shop worker`: the outbox relay and the recovery of orders left Pending."""
    log_path = log_dir / "worker.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SHOP_")},
           **settings_env(settings)}
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(SHOP), "worker"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    worker = ServerProcess(name="worker", port=free_port(), process=process, log_path=log_path)
    try:
        yield worker
    finally:
        worker.stop()
        print(f"----- worker log tail\n{worker.log_tail()}")


async def until_logged(process: ServerProcess, text: str, *, times: int = 1,
                       limit: float = 60.0) -> None:
    """Until `text` is in the process's log `times` times, the process alive all along.

    Polled, not slept on: a cold start takes 3-4 s on a slow machine before the
    first line is logged."""
    deadline = asyncio.get_running_loop().time() + limit
    while process.log_path.read_text().count(text) < times:
        assert process.process.poll() is None, process.log_tail()
        assert asyncio.get_running_loop().time() < deadline, process.log_tail()
        await asyncio.sleep(0.2)


async def readiness(base_url: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT,
                                 trust_env=False) as client:
        return await client.get("/health/ready")


async def until_ready(base_url: str, limit: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while (await readiness(base_url)).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, "never ready again"
        await asyncio.sleep(0.2)


@dataclass
class OutageRun:
    shop: Shop
    load: Load
    readiness_during: httpx.Response
    ledger: Ledger


async def under_an_outage(settings: Settings, service: PrivatePostgres | PrivateRedis,
                          log_dir: Path, *,
                          answers_during: int | None) -> OutageRun:
    """Orders under load while `service` goes away and comes back; then the settled ledger.

    `answers_during`: how many answers of that status to wait for during the outage
    (None: any ten answers), so the outage is seen by requests, not only by the probe.
    """
    with running_servers(1, settings, log_dir) as (server,), running_worker(settings, log_dir):
        shop = await set_up(server.base_url)
        load = Load(server.base_url, shop.tokens, shop.products)
        load.start()
        try:
            await load.until(lambda: load.count("before", 201) >= 10)
            await asyncio.to_thread(service.stop)
            load.phase = "outage"
            ready = await readiness(server.base_url)
            await load.until(lambda: load.count("outage", answers_during) >= 10)
            await asyncio.to_thread(service.start)
            load.phase = "after"
            await until_ready(server.base_url)
            await load.until(lambda: load.count("after", 201) >= 10)
        finally:
            await load.stop()
        database_url = settings.effective_database_url
        return OutageRun(shop, load, ready, await settled_ledger(database_url))


# ------------------------------------------------------------------ the database goes away


async def test_a_database_outage_answers_503_quickly_and_the_shop_recovers_by_itself(
    tmp_path: Path,
) -> None:
    with private_postgres() as database:
        settings = fault_settings(tmp_path, database_url=database.url, migrate_on_start=True)
        run = await under_an_outage(settings, database, tmp_path / "logs", answers_during=503)

    assert run.readiness_during.status_code == 503
    assert run.readiness_during.json()["checks"]["database"].startswith("unavailable")
    assert_answers_were_201_or_503_problems(run.load)
    assert_every_order_complete_or_cancelled_with_its_stock_back(run.ledger, run.shop, run.load)


async def test_a_worker_started_while_the_database_is_down_waits_for_it_instead_of_dying(
    tmp_path: Path,
) -> None:
    """The recovery of Pending orders lives in `shop worker`: a worker that died on an
    outage at its start would leave every order the outage interrupted Pending."""
    with private_postgres() as database:
        settings = fault_settings(tmp_path, database_url=database.url, migrate_on_start=True)
        await asyncio.to_thread(database.stop)
        (tmp_path / "logs").mkdir()
        with running_worker(settings, tmp_path / "logs") as worker:
            await until_logged(worker, "retrying", times=3)
            await asyncio.to_thread(database.start)
            await until_logged(worker, "worker running")


# ------------------------------------------------------------------ Redis goes away


async def test_a_redis_outage_delays_events_and_loses_nothing(
    tmp_path: Path, postgres_url: str,
) -> None:
    with private_redis() as redis:
        prefix = "shop-fault:"
        settings = fault_settings(tmp_path, database_url=postgres_url, redis_url=redis.url,
                                  redis_prefix=prefix, events_stream=f"{prefix}events")
        run = await under_an_outage(settings, redis, tmp_path / "logs", answers_during=None)
        stream_ids = await stream_event_ids(redis.url, f"{prefix}events")

    assert run.readiness_during.status_code == 503
    assert run.readiness_during.json()["checks"]["redis"].startswith("unavailable")
    assert_answers_were_201_or_503_problems(run.load)
    assert_every_order_complete_or_cancelled_with_its_stock_back(run.ledger, run.shop, run.load)
    assert await outbox_event_ids(postgres_url) <= stream_ids  # every committed event published


async def stream_event_ids(redis_url: str, stream: str) -> set[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        entries = await client.xrange(stream)
    finally:
        await client.aclose()
    return {fields[b"id"].decode() for _, fields in entries}


async def outbox_event_ids(database_url: str) -> set[str]:
    engine = build_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(outbox.c.event_id))).all()
    finally:
        await engine.dispose()
    return {str(event_id) for (event_id,) in rows}


# ------------------------------------------------------------------ a server killed mid-order


async def test_a_server_killed_mid_order_leaves_nothing_half_done_once_restarted(
    tmp_path: Path,
) -> None:
    settings = fault_settings(tmp_path)
    with running_servers(1, settings, tmp_path / "logs-1") as (server,):
        shop = await set_up(server.base_url)
        load = Load(server.base_url, shop.tokens, shop.products)
        load.start()
        try:
            await load.until(lambda: load.count("before", 201) >= 10)
            load.phase = "killed"
            os.killpg(server.process.pid, signal.SIGKILL)  # orders are in flight right now
            server.process.wait(30)
            await load.until(lambda: load.count("killed") >= CLIENTS)
        finally:
            await load.stop()
    # Orders the kill left Pending are older than the recovery's grace (two payment
    # timeouts) by the time the restarted server settles them at start-up.
    await asyncio.sleep(2 * settings.payment_timeout_seconds + 1)
    with running_servers(1, settings, tmp_path / "logs-2"):
        ledger = await settled_ledger(settings.effective_database_url)

    assert_every_order_complete_or_cancelled_with_its_stock_back(ledger, shop, load)
    assert load.count("before", 201) >= 10
