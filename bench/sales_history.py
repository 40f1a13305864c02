"""A year of sales written straight into the shop's tables: for benchmarks and screenshots.

Placing 100,000 orders through the API would take hours on this machine and
would measure order placement, not reporting. This writes customers,
products, stock, orders and their lines with plain inserts through the
shop's own table definitions (any of its databases), spread over the last
`days` days; `shop analytics rebuild` then fills the projections from them,
exactly as it would for an install with old orders.

    python -m bench.sales_history --database-url sqlite+aiosqlite:///var/shop.db --orders 2000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shop.domain.catalog.names import search_key
from shop.infrastructure.db.engine import async_url
from shop.infrastructure.db.schema import (
    categories,
    customers,
    order_lines,
    orders,
    products,
    stock,
)

CHUNK = 2000
WORDS = ("Trail", "Road", "Summit", "Harbor", "Canyon", "Meadow", "Glacier", "Forest", "Desert",
         "River", "Coastal", "Alpine", "Urban", "Nordic", "Prairie", "Island")
THINGS = ("Runner", "Jacket", "Backpack", "Bottle", "Cap", "Socks", "Tent", "Lamp", "Gloves",
          "Boots", "Hoodie", "Scarf", "Mug", "Blanket", "Sandals", "Poncho")
# Share of orders ending in each status; the rest are Paid. No old order is left Pending:
# the recovery step would settle (cancel) it at the next start-up.
SHIPPED_SHARE, CANCELLED_SHARE, PENDING_SHARE = 0.55, 0.08, 0.0


@dataclass(frozen=True)
class LoadedHistory:
    product_ids: list[uuid.UUID]
    orders: int
    lines: int


def _product_rows(count: int, category_id: uuid.UUID, now: datetime,
                  rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for index in range(count):
        name = f"{WORDS[index % len(WORDS)]} {THINGS[(index // len(WORDS)) % len(THINGS)]}"
        if index >= len(WORDS) * len(THINGS):
            name = f"{name} {index // (len(WORDS) * len(THINGS)) + 1}"
        rows.append({"id": uuid.uuid4(), "name": name, "name_key": search_key(name),
                     "description": f"A {name.lower()}.",
                     "price_minor": rng.choice((499, 1250, 1999, 2999, 4500, 5999, 8900, 12900)),
                     "currency": "USD", "category_id": category_id, "sku": f"SKU-{index:05d}",
                     "version": 1, "created_at": now, "updated_at": now, "deleted_at": None})
    return rows


def _stock_level(index: int, rng: random.Random) -> int:
    """Most products well stocked, a few nearly out, so the low-stock list has something."""
    return rng.randint(0, 4) if index % 17 == 0 else rng.randint(20, 400)


def _status(rng: random.Random) -> tuple[str, str]:
    draw = rng.random()
    if draw < PENDING_SHARE:
        return "Pending", "pending"
    if draw < PENDING_SHARE + CANCELLED_SHARE:
        return "Cancelled", "refunded"
    if draw < PENDING_SHARE + CANCELLED_SHARE + SHIPPED_SHARE:
        return "Shipped", "captured"
    return "Paid", "captured"


def _orders(count: int, days: int, customer_id: uuid.UUID, catalog: Sequence[dict[str, Any]],
            now: datetime, rng: random.Random
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Orders spread over the days (busier lately and at weekends), 1..3 lines each."""
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    weights = [1 + index / 90 for index in range(len(catalog))][::-1]
    for _ in range(count):
        age = timedelta(days=days * (1 - rng.random() ** 1.3))
        created = now - age
        if created.weekday() >= 5 and rng.random() < 0.3:
            created -= timedelta(days=1)
        created = max(created, now - timedelta(days=days) + timedelta(seconds=1))
        status, payment = _status(rng)
        order_id = uuid.uuid4()
        chosen = {p["id"]: p for p in rng.choices(catalog, weights=weights, k=rng.randint(1, 3))}
        total = 0
        for number, product in enumerate(chosen.values(), start=1):
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            total += product["price_minor"] * quantity
            line_rows.append({"order_id": order_id, "line_no": number, "product_id": product["id"],
                              "product_name": product["name"],
                              "unit_price_minor": product["price_minor"], "quantity": quantity})
        order_rows.append({
            "id": order_id, "customer_id": customer_id, "status": status, "currency": "USD",
            "total_minor": total, "ship_line1": None, "ship_line2": None, "ship_city": None,
            "ship_postal_code": None, "ship_country": None, "payment_status": payment,
            "payment_reference": f"ch_{order_id.hex[:16]}", "version": 3,
            "created_at": created, "updated_at": created})
    return order_rows, line_rows


async def _insert(engine: AsyncEngine, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(table), rows[start:start + CHUNK])


async def load_sales_history(engine: AsyncEngine, *, orders_count: int, days: int = 365,
                             products_count: int = 200, seed: int = 7,
                             now: datetime | None = None) -> LoadedHistory:
    """Write a catalog and `orders_count` orders over the last `days` days (schema migrated)."""
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    category_id, customer_id = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(sa.insert(categories).values(
            id=category_id, name="Outdoor", parent_id=None, created_at=moment, updated_at=moment))
        await conn.execute(sa.insert(customers).values(
            id=customer_id, email=f"history-{customer_id.hex[:8]}@example.com",
            full_name="History Buyer", phone=None, ship_line1=None, ship_line2=None,
            ship_city=None, ship_postal_code=None, ship_country=None,
            password_hash="!not-a-password", role="customer",
            created_at=moment, updated_at=moment))
    catalog = _product_rows(products_count, category_id, moment, rng)
    await _insert(engine, products, catalog)
    await _insert(engine, stock, [{"product_id": p["id"], "on_hand": _stock_level(i, rng),
                                   "version": 1, "updated_at": moment}
                                  for i, p in enumerate(catalog)])
    order_rows, line_rows = _orders(orders_count, days, customer_id, catalog, moment, rng)
    await _insert(engine, orders, order_rows)
    await _insert(engine, order_lines, line_rows)
    return LoadedHistory(product_ids=[p["id"] for p in catalog], orders=len(order_rows),
                         lines=len(line_rows))


async def _main(arguments: argparse.Namespace) -> None:
    engine = create_async_engine(async_url(arguments.database_url))
    try:
        loaded = await load_sales_history(engine, orders_count=arguments.orders,
                                          days=arguments.days, products_count=arguments.products)
    finally:
        await engine.dispose()
    print(f"loaded {loaded.orders} orders ({loaded.lines} lines) over {arguments.days} days "
          f"for {len(loaded.product_ids)} products; now run `shop analytics rebuild`")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a migrated shop database")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--products", type=int, default=200)
    asyncio.run(_main(parser.parse_args()))
