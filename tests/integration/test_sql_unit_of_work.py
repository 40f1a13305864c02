"""The SQL unit of work and repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import DuplicateSku
from shop.domain.catalog.product import Product
from shop.domain.inventory.stock import Stock
from shop.domain.shared.errors import ConcurrentModification
from shop.domain.shared.money import Money
from shop.infrastructure.db.schema import outbox, stock
from shop.infrastructure.db.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def a_category(name: str = "Shoes", parent: uuid.UUID | None = None) -> Category:
    return Category.create(id=uuid.uuid4(), name=name, parent_id=parent, now=NOW)


def a_product(category: Category, sku: str | None = None, price: str = "19.99") -> Product:
    return Product.create(id=uuid.uuid4(), name="Runner", description="", price=Money.of(price),
                          category_id=category.id, sku=sku, now=NOW)


async def outbox_types(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(outbox.c.event_type).order_by(outbox.c.id))
        return [r.event_type for r in rows]


async def seed(engine: AsyncEngine, *, on_hand: int = 10, sku: str | None = None
               ) -> tuple[Category, Product]:
    category, product = a_category(), None
    async with SqlUnitOfWork(engine) as uow:
        await uow.categories.add(category)
        product = a_product(category, sku=sku)
        await uow.products.add(product)
        await uow.stock.add(Stock.open(product.id, on_hand, NOW))
        await uow.commit()
    return category, product


async def test_a_commit_writes_the_aggregates_and_their_events_to_the_outbox(
    engine: AsyncEngine,
) -> None:
    _, product = await seed(engine)

    async with SqlUnitOfWork(engine) as uow:
        loaded = await uow.products.get(product.id)
        assert loaded is not None
        assert loaded.price == Money.of("19.99")
        assert loaded.created_at == NOW
    assert await outbox_types(engine) == ["CategoryCreated", "ProductCreated", "StockChanged"]


async def test_leaving_without_commit_keeps_neither_rows_nor_events(engine: AsyncEngine) -> None:
    category = a_category()
    async with SqlUnitOfWork(engine) as uow:
        await uow.categories.add(category)

    async with SqlUnitOfWork(engine) as uow:
        assert await uow.categories.get(category.id) is None
        assert uow.committed_events() == []
    assert await outbox_types(engine) == []


async def test_a_failing_write_rolls_back_everything_before_it(engine: AsyncEngine) -> None:
    _, existing = await seed(engine, sku="SKU-1")
    newcomer = a_category("Boots")
    with pytest.raises(DuplicateSku):
        async with SqlUnitOfWork(engine) as uow:
            await uow.categories.add(newcomer)
            await uow.products.add(a_product(newcomer, sku="SKU-1"))
            await uow.commit()

    async with SqlUnitOfWork(engine) as uow:
        assert await uow.categories.get(newcomer.id) is None
        assert (await uow.products.get(existing.id)) is not None


async def test_saving_over_a_newer_version_is_refused(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite writers hold the database lock from BEGIN IMMEDIATE: no interleaving")
    _, product = await seed(engine)
    async with SqlUnitOfWork(engine) as first, SqlUnitOfWork(engine) as second:
        mine = await first.products.get(product.id)
        theirs = await second.products.get(product.id)
        assert mine is not None and theirs is not None
        theirs.revise(now=NOW, name="Theirs")
        await second.products.save(theirs)
        await second.commit()
        mine.revise(now=NOW, name="Mine")
        with pytest.raises(ConcurrentModification):
            await first.products.save(mine)


async def test_a_removed_product_is_gone_from_the_catalog_and_frees_its_sku(
    engine: AsyncEngine,
) -> None:
    category, product = await seed(engine, sku="SKU-9")
    async with SqlUnitOfWork(engine) as uow:
        loaded = await uow.products.get(product.id)
        assert loaded is not None
        loaded.discontinue(NOW + timedelta(seconds=1))
        await uow.products.remove(loaded)
        await uow.commit()

    async with SqlUnitOfWork(engine) as uow:
        assert await uow.products.get(product.id) is None
        assert not await uow.products.sku_taken("SKU-9")
        assert not await uow.categories.has_products(category.id)
        await uow.products.add(a_product(category, sku="SKU-9"))
        await uow.commit()


async def test_a_category_lineage_runs_from_itself_up_to_its_root(engine: AsyncEngine) -> None:
    root = a_category("Root")
    child = a_category("Child", root.id)
    grandchild = a_category("Grandchild", child.id)
    async with SqlUnitOfWork(engine) as uow:
        for category in (root, child, grandchild):
            await uow.categories.add(category)
        await uow.commit()
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.categories.lineage(grandchild.id) == [grandchild.id, child.id, root.id]
        assert await uow.categories.has_children(root.id)
        assert not await uow.categories.has_children(grandchild.id)


async def test_stock_never_moves_below_zero(engine: AsyncEngine) -> None:
    _, product = await seed(engine, on_hand=3)
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.stock.apply_delta(product.id, -4, NOW) is None
        moved = await uow.stock.apply_delta(product.id, -3, NOW)
        assert moved is not None and moved.on_hand == 0 and moved.version == 2
        assert await uow.stock.apply_delta(product.id, -1, NOW) is None
        await uow.commit()


async def test_setting_stock_reports_the_delta_it_made(engine: AsyncEngine) -> None:
    _, product = await seed(engine, on_hand=7)
    async with SqlUnitOfWork(engine) as uow:
        result = await uow.stock.set_level(product.id, 2, NOW)
        assert result is not None
        level, delta = result
        assert (level.on_hand, delta) == (2, -5)
        assert await uow.stock.set_level(uuid.uuid4(), 2, NOW) is None


async def test_concurrent_reservations_never_sell_a_unit_twice(engine: AsyncEngine) -> None:
    """Twenty transactions race for ten units: exactly ten win, stock ends at zero."""
    _, product = await seed(engine, on_hand=10)
    factory = SqlUnitOfWorkFactory(engine)

    async def reserve_one() -> bool:
        async with factory() as uow:
            moved = await uow.stock.apply_delta(product.id, -1, NOW)
            await uow.commit()
            return moved is not None

    results = await asyncio.gather(*(reserve_one() for _ in range(20)))

    assert results.count(True) == 10
    async with engine.connect() as conn:
        on_hand = (await conn.execute(
            sa.select(stock.c.on_hand).where(stock.c.product_id == product.id))).scalar_one()
    assert on_hand == 0


async def test_apply_deltas_moves_every_line_in_one_statement_or_none(engine: AsyncEngine) -> None:
    _, first = await seed(engine, on_hand=10)
    _, second = await seed(engine, on_hand=2)
    missing = uuid.uuid4()

    async with SqlUnitOfWork(engine) as uow:
        assert await uow.stock.apply_deltas({first.id: -3, second.id: -5}, NOW) is None
        assert await uow.stock.apply_deltas({first.id: -3, missing: -1}, NOW) is None
        assert (await uow.stock.get(first.id)).on_hand == 10  # type: ignore[union-attr]
        assert (await uow.stock.get(second.id)).on_hand == 2  # type: ignore[union-attr]
        moved = await uow.stock.apply_deltas({second.id: -2, first.id: -3}, NOW)
        assert moved is not None
        assert [(s.product_id, s.on_hand, s.version) for s in moved] == sorted(
            [(first.id, 7, 2), (second.id, 0, 2)])
        for level in moved:
            level.record_change(-1, "test")
        await uow.commit()

    async with SqlUnitOfWork(engine) as uow:
        assert (await uow.stock.get(first.id)).on_hand == 7  # type: ignore[union-attr]
        assert (await uow.stock.get(second.id)).on_hand == 0  # type: ignore[union-attr]
