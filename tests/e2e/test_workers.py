"""`shop worker` processes sharing the notifications consumer group, against PostgreSQL,
Redis and a real SMTP server: every order confirmation is sent exactly once, with two
workers at once and when one of them is killed in the middle of a batch."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shop.application.catalog.commands import CreateCategory, CreateProduct
from shop.application.customers.commands import RegisterCustomer
from shop.application.ordering.commands import PlaceOrder
from shop.bootstrap import ShopRuntime
from shop.domain.ordering.order import ItemRequest
from shop.settings import Settings
from tests.e2e.servers import settings_env
from tests.e2e.shop_client import cheap_runtime
from tests.e2e.workers import WorkerProcess, start_worker
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ORDERS = 30
WAIT_SECONDS = 120.0
ORDER_ID = re.compile(r"your order ([0-9a-f-]{36})")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(postgres_redis_settings: Settings, smtp: SmtpServer) -> Settings:
    return postgres_redis_settings.with_overrides(
        smtp_url=smtp.url, mail_from="shop@example.com", mail_retry_seconds=0.05,
        mail_timeout_seconds=2.0, mail_max_attempts=2, consumer_claim_idle_seconds=1.0,
        consumer_block_seconds=0.2, consumer_max_deliveries=40, log_level="WARNING",
        jwt_secret="x" * 40)


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[ShopRuntime]:
    """The shop as a library: it commits orders; only the workers consume."""
    runtime = cheap_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()
    for worker in started:
        print(f"----- {worker.name} log tail")
        print(worker.log_tail())


def run_worker(workers: list[WorkerProcess], settings: Settings, log_dir: Path) -> WorkerProcess:
    worker = start_worker(f"worker-{len(workers)}", settings_env(settings), log_dir)
    workers.append(worker)
    worker.wait_ready()
    return worker


async def place_orders(shop: ShopRuntime, count: int) -> list[str]:
    category = await shop.bus.handle(CreateCategory(name=f"Shoes {uuid.uuid4().hex[:6]}"))
    product = await shop.bus.handle(CreateProduct(name="Trail Runner", price="19.99",
                                                  category_id=category.id, stock=10_000))
    customer = await shop.bus.handle(RegisterCustomer(
        email=f"ada-{uuid.uuid4().hex[:6]}@example.com", password="long-enough-1",
        full_name="Ada"))
    orders = []
    for _ in range(count):
        order = await shop.bus.handle(PlaceOrder(
            customer_id=customer.id, items=(ItemRequest(product_id=product.id, quantity=1),),
            payment_token="tok_visa"))
        assert order.status == "Paid"
        orders.append(str(order.id))
    return orders


def confirmations(smtp: SmtpServer) -> list[tuple[str, str]]:
    """(order id, Message-ID) of every order confirmation the server accepted."""
    found = []
    for message in list(smtp.inbox.messages):
        if "is confirmed" not in str(message["Subject"]):
            continue
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        match = ORDER_ID.search(text)
        assert match, text
        found.append((match.group(1), str(message["Message-ID"])))
    return found


async def all_consumed(settings: Settings, smtp: SmtpServer, orders: list[str]) -> None:
    """Every order confirmed and nothing left unread or pending in the group."""
    redis = Redis.from_url(settings.redis_url or "")
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            confirmed = {order for order, _ in confirmations(smtp)}
            [group] = [g for g in await redis.xinfo_groups(settings.events_stream)
                       if g["name"] == b"notifications"]
            if confirmed >= set(orders) and group["pending"] == 0 and group["lag"] == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(confirmed)} of {len(orders)} confirmed; "
                                     f"group {group}")
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


async def test_two_workers_share_the_group_and_send_every_confirmation_exactly_once(
    shop: ShopRuntime, settings: Settings, smtp: SmtpServer, workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    run_worker(workers, settings, tmp_path)
    run_worker(workers, settings, tmp_path)

    orders = await place_orders(shop, ORDERS)
    await all_consumed(settings, smtp, orders)

    per_order = Counter(order for order, _ in confirmations(smtp))
    assert per_order == dict.fromkeys(orders, 1)


async def test_a_worker_killed_mid_batch_loses_nothing_another_claims_its_entries(
    shop: ShopRuntime, settings: Settings, smtp: SmtpServer, workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    smtp.inbox.delay_seconds = 0.1  # sends stay in flight long enough to kill one
    doomed = run_worker(workers, settings, tmp_path)
    orders = await place_orders(shop, ORDERS)
    deadline = time.monotonic() + WAIT_SECONDS
    while len(confirmations(smtp)) < 3:
        assert time.monotonic() < deadline, doomed.log_tail()
        await asyncio.sleep(0.02)
    doomed.kill()
    assert len({order for order, _ in confirmations(smtp)}) < ORDERS  # killed mid-batch

    run_worker(workers, settings, tmp_path)
    await all_consumed(settings, smtp, orders)

    sent = confirmations(smtp)
    message_ids = {order: {mid for o, mid in sent if o == order} for order in orders}
    assert all(len(ids) == 1 for ids in message_ids.values())  # one notification per order
    # SMTP cannot be exactly once across a kill: an email the server accepted just before
    # the kill, whose record was not yet saved, is sent again, with the same Message-ID
    # (the receiving side's idempotency key). At most the one in flight.
    assert len(sent) - len(orders) <= 1
