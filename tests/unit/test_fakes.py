"""The fakes keep the promises of the ports they stand for, or the other tests prove nothing."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.application import ports
from shop.application.analytics import ports as analytics_ports
from shop.application.catalog import ports as catalog_ports
from shop.application.catalog.views import ProductView
from shop.application.customers import ports as customer_ports
from shop.application.inventory import ports as inventory_ports
from shop.application.ordering import ports as ordering_ports
from shop.domain.catalog.category import Category
from shop.domain.catalog.product import Product
from shop.domain.inventory.events import StockChanged
from shop.domain.inventory.stock import MAX_STOCK, Stock
from shop.domain.ordering.errors import PaymentDeclined, PaymentUnavailable
from shop.domain.shared.errors import ConcurrentModification
from shop.domain.shared.money import Money

from .fakes import (
    T0,
    FakeAnalyticsReadModel,
    FakeCatalogReadModel,
    FakeCategoryRepository,
    FakeCustomerReadModel,
    FakeCustomerRepository,
    FakeIdempotencyRepository,
    FakeInventoryReadModel,
    FakeLoginThrottle,
    FakeOrderReadModel,
    FakeOrderRepository,
    FakePasswordHasher,
    FakePaymentGateway,
    FakeProductCache,
    FakeProductRepository,
    FakeRefreshTokenRepository,
    FakeStockRepository,
    FakeTokenService,
    FakeUnitOfWork,
    FakeUnitOfWorkFactory,
    FixedClock,
    SteppingClock,
    Store,
)

LATER = T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("port", "fake"),
    [
        (ports.Clock, FixedClock),
        (ports.Clock, SteppingClock),
        (catalog_ports.CategoryRepository, FakeCategoryRepository),
        (catalog_ports.ProductRepository, FakeProductRepository),
        (inventory_ports.StockRepository, FakeStockRepository),
        (ports.UnitOfWork, FakeUnitOfWork),
        (catalog_ports.ProductCache, FakeProductCache),
        (catalog_ports.CatalogReadModel, FakeCatalogReadModel),
        (customer_ports.CustomerRepository, FakeCustomerRepository),
        (customer_ports.RefreshTokenRepository, FakeRefreshTokenRepository),
        (customer_ports.PasswordHasher, FakePasswordHasher),
        (customer_ports.TokenService, FakeTokenService),
        (customer_ports.LoginThrottle, FakeLoginThrottle),
        (customer_ports.CustomerReadModel, FakeCustomerReadModel),
        (ordering_ports.OrderRepository, FakeOrderRepository),
        (ordering_ports.IdempotencyRepository, FakeIdempotencyRepository),
        (ordering_ports.PaymentGateway, FakePaymentGateway),
        (analytics_ports.AnalyticsReadModel, FakeAnalyticsReadModel),
        (ordering_ports.OrderReadModel, FakeOrderReadModel),
        (inventory_ports.InventoryReadModel, FakeInventoryReadModel),
    ],
    ids=lambda value: value.__name__,
)
def test_each_fake_has_every_method_of_its_port_with_the_same_parameters(
    port: type, fake: type
) -> None:
    for name, member in vars(port).items():
        if name.startswith("_") and name not in {"__aenter__", "__aexit__"}:
            continue
        if not callable(member):
            continue
        implementation = getattr(fake, name, None)
        assert implementation is not None, f"{fake.__name__} lacks {name}"
        is_async = inspect.iscoroutinefunction(member)
        assert inspect.iscoroutinefunction(implementation) == is_async, f"{fake.__name__}.{name}"
        expected = [(p.name, p.kind) for p in inspect.signature(member).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(implementation).parameters.values()]
        assert actual == expected, f"{fake.__name__}.{name}"


def test_the_unit_of_work_has_a_repository_for_every_one_the_port_declares() -> None:
    uow = FakeUnitOfWork(Store())
    for name in ports.UnitOfWork.__annotations__:
        assert hasattr(uow, name), f"FakeUnitOfWork lacks {name}"


# ------------------------------------------------------------------ helpers


def a_category(parent_id: uuid.UUID | None = None) -> Category:
    return Category.create(id=uuid.uuid4(), name="Books", parent_id=parent_id, now=T0)


def a_product(category_id: uuid.UUID, sku: str | None = None) -> Product:
    return Product.create(
        id=uuid.uuid4(),
        name="Dune",
        description="",
        price=Money.of("9.99"),
        category_id=category_id,
        sku=sku,
        now=T0,
    )


async def seeded(on_hand: int = 5) -> tuple[FakeUnitOfWorkFactory, Category, Product]:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        category = a_category()
        product = a_product(category.id, sku="B-1")
        await uow.categories.add(category)
        await uow.products.add(product)
        await uow.stock.add(Stock.open(product.id, on_hand, T0))
        await uow.commit()
    return factory, category, product


# ------------------------------------------------------------------ unit of work


async def test_changes_left_without_a_commit_are_rolled_back() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        await uow.categories.add(a_category())
    assert factory.store.tables.categories == {}
    assert uow.committed_events() == []


async def test_changes_to_loaded_aggregates_are_rolled_back_too() -> None:
    factory, category, _ = await seeded()
    async with factory() as uow:
        loaded = await uow.categories.get(category.id)
        assert loaded is not None
        loaded.rename("Changed", LATER)
        await uow.categories.save(loaded)
    assert factory.store.tables.categories[category.id].name == "Books"


async def test_an_error_inside_the_unit_of_work_discards_its_changes_and_events() -> None:
    factory = FakeUnitOfWorkFactory()
    uow = factory()
    with pytest.raises(RuntimeError):
        async with uow:
            await uow.categories.add(a_category())
            raise RuntimeError
    assert factory.store.tables.categories == {}
    assert factory.store.outbox == []
    assert uow.rolled_back


async def test_committed_events_are_those_of_the_aggregates_it_saw_in_order() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        category, removed = a_category(), a_category()
        removed.pull_events()
        removed.mark_deleted()  # occurs after the creation
        await uow.categories.add(category)
        await uow.categories.remove(removed)
        assert uow.committed_events() == []
        await uow.commit()
    types = [e.type_name for e in uow.committed_events()]
    assert types == ["CategoryCreated", "CategoryDeleted"]
    assert factory.store.outbox == uow.committed_events()


async def test_units_of_work_from_one_factory_share_the_committed_store() -> None:
    factory, category, product = await seeded()
    async with factory() as uow:
        assert await uow.categories.get(category.id) is not None
        assert await uow.products.get(product.id) is not None


async def test_saving_a_product_someone_else_changed_meanwhile_is_refused() -> None:
    factory, _, product = await seeded()
    first, second = factory(), factory()
    async with first, second:
        mine = await first.products.get(product.id)
        theirs = await second.products.get(product.id)
        assert mine is not None
        assert theirs is not None
        theirs.revise(now=LATER, name="Theirs")
        await second.products.save(theirs)
        await second.commit()
        mine.revise(now=LATER, name="Mine")
        with pytest.raises(ConcurrentModification):
            await first.products.save(mine)
    assert factory.store.tables.products[product.id].name == "Theirs"


# ------------------------------------------------------------------ repositories


async def test_a_removed_product_is_hidden_from_get_and_frees_its_sku() -> None:
    factory, _, product = await seeded()
    async with factory() as uow:
        loaded = await uow.products.get(product.id)
        assert loaded is not None
        loaded.discontinue(LATER)
        await uow.products.remove(loaded)
        await uow.commit()
    async with factory() as uow:
        assert await uow.products.get(product.id) is None
        assert not await uow.products.sku_taken("B-1")


async def test_sku_taken_ignores_the_product_itself_when_asked() -> None:
    factory, _, product = await seeded()
    async with factory() as uow:
        assert await uow.products.sku_taken("B-1")
        assert not await uow.products.sku_taken("B-1", other_than=product.id)
        assert not await uow.products.sku_taken("B-2")


async def test_lineage_is_the_category_then_its_ancestors_up_to_the_root() -> None:
    factory = FakeUnitOfWorkFactory()
    async with factory() as uow:
        root = a_category()
        child = a_category(root.id)
        grandchild = a_category(child.id)
        for category in (root, child, grandchild):
            await uow.categories.add(category)
        assert await uow.categories.lineage(grandchild.id) == [grandchild.id, child.id, root.id]
        assert await uow.categories.has_children(child.id)
        assert not await uow.categories.has_children(grandchild.id)


async def test_apply_delta_moves_stock_only_while_it_stays_non_negative() -> None:
    factory, _, product = await seeded(on_hand=5)
    async with factory() as uow:
        moved = await uow.stock.apply_delta(product.id, -5, LATER)
        assert moved is not None
        assert (moved.on_hand, moved.version, moved.updated_at) == (0, 2, LATER)
        assert await uow.stock.apply_delta(product.id, -1, LATER) is None
        assert await uow.stock.apply_delta(uuid.uuid4(), 1, LATER) is None
        await uow.commit()
    assert factory.store.tables.stock[product.id].on_hand == 0


@given(
    st.integers(min_value=0, max_value=100),
    st.lists(st.integers(min_value=-50, max_value=50), max_size=30),
)
def test_stock_never_goes_negative_whatever_the_changes(start: int, deltas: list[int]) -> None:
    """The port's promise, which the SQL conditional update keeps across processes."""
    asyncio.run(apply_every_delta(start, deltas))


async def apply_every_delta(start: int, deltas: list[int]) -> None:
    factory = FakeUnitOfWorkFactory()
    product_id = uuid.uuid4()
    async with factory() as uow:
        await uow.stock.add(Stock.open(product_id, start, T0))
        expected, accepted = start, 0
        for delta in deltas:
            moved = await uow.stock.apply_delta(product_id, delta, LATER)
            if expected + delta < 0:
                assert moved is None
            else:
                assert moved is not None
                moved.record_change(delta, "adjustment")
                expected += delta
                accepted += 1
            current = await uow.stock.get(product_id)
            assert current is not None and current.on_hand >= 0
        stock = await uow.stock.get(product_id)
        assert stock is not None
        assert stock.on_hand == expected
        assert stock.version == 1 + accepted
        await uow.commit()
    events = [event for event in uow.committed_events() if isinstance(event, StockChanged)]
    assert len(events) == accepted + (start > 0)
    assert all(event.stock >= 0 for event in events)


async def test_apply_delta_never_moves_stock_past_the_maximum() -> None:
    factory, _, product = await seeded(on_hand=5)
    async with factory() as uow:
        assert await uow.stock.apply_delta(product.id, MAX_STOCK - 4, LATER) is None
        moved = await uow.stock.apply_delta(product.id, MAX_STOCK - 5, LATER)
        assert moved is not None
        assert moved.on_hand == MAX_STOCK


async def test_set_level_answers_the_new_state_and_the_delta_it_made() -> None:
    factory, _, product = await seeded(on_hand=5)
    async with factory() as uow:
        result = await uow.stock.set_level(product.id, 2, LATER)
        assert result is not None
        stock, delta = result
        assert (stock.on_hand, stock.version, delta) == (2, 2, -3)
        assert await uow.stock.set_level(uuid.uuid4(), 2, LATER) is None


# ------------------------------------------------------------------ cache


def view(product_version: int = 1, stock_version: int = 1, name: str = "Dune") -> ProductView:
    return ProductView(
        id=PRODUCT,
        name=name,
        description="",
        price=Decimal("1.00"),
        currency="USD",
        category_id=PRODUCT,
        stock=1,
        sku=None,
        created_at=T0,
        updated_at=T0,
        product_version=product_version,
        stock_version=stock_version,
    )


PRODUCT = uuid.uuid4()


async def test_the_cache_never_replaces_a_view_with_an_older_one() -> None:
    cache = FakeProductCache()
    await cache.put(view(product_version=2, stock_version=3))
    await cache.put(view(product_version=1, stock_version=5))
    await cache.put(view(product_version=3, stock_version=2))
    assert await cache.get(PRODUCT) == view(product_version=2, stock_version=3)


async def test_the_cache_takes_a_view_as_new_or_newer_in_both_versions() -> None:
    cache = FakeProductCache()
    await cache.put(view(2, 3))
    await cache.put(view(2, 3, name="Same versions"))
    assert await cache.get(PRODUCT) == view(2, 3, name="Same versions")
    await cache.put(view(3, 3, name="Newer"))
    assert await cache.get(PRODUCT) == view(3, 3, name="Newer")


async def test_an_invalidation_empties_the_entry_and_refuses_views_older_than_it() -> None:
    cache = FakeProductCache()
    await cache.put(view(1, 4))
    await cache.invalidate(PRODUCT, product_version=2)
    assert await cache.get(PRODUCT) is None

    await cache.put(view(1, 4))
    assert await cache.get(PRODUCT) is None
    await cache.put(view(2, 3))  # the stock version known before the invalidation still holds
    assert await cache.get(PRODUCT) is None
    await cache.put(view(2, 4))
    assert await cache.get(PRODUCT) == view(2, 4)


async def test_an_invalidation_of_an_uncached_product_still_refuses_older_views() -> None:
    cache = FakeProductCache()
    await cache.invalidate(PRODUCT, stock_version=2)
    await cache.put(view(5, 1))
    assert await cache.get(PRODUCT) is None


# ------------------------------------------------------------------ clocks


def test_a_fixed_clock_stands_still_until_advanced() -> None:
    clock = FixedClock()
    assert clock.now() == clock.now() == T0
    clock.advance(timedelta(seconds=3))
    assert clock.now() == T0 + timedelta(seconds=3)


def test_a_stepping_clock_moves_on_at_every_reading() -> None:
    clock = SteppingClock(step=timedelta(seconds=2))
    assert [clock.now(), clock.now()] == [T0, T0 + timedelta(seconds=2)]


# ------------------------------------------------------------------ payment gateway


USD_10 = Money.of("10.00")


async def test_the_gateway_captures_approved_tokens_once_per_key() -> None:
    gateway = FakePaymentGateway()
    first = await gateway.charge(idempotency_key="k", amount=USD_10, token="tok_visa")
    again = await gateway.charge(idempotency_key="k", amount=USD_10, token="tok_mastercard")
    assert first == again
    assert list(gateway.charges) == ["k"]
    assert gateway.charge_calls == ["k", "k"]
    assert await gateway.find_charge("k") == first
    assert await gateway.find_charge("other") is None


@pytest.mark.parametrize(
    "token", ["tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds", "tok_unknown"]
)
async def test_the_gateway_declines_declining_and_unknown_tokens(token: str) -> None:
    gateway = FakePaymentGateway()
    with pytest.raises(PaymentDeclined):
        await gateway.charge(idempotency_key="k", amount=USD_10, token=token)
    assert gateway.charges == {}


async def test_the_gateway_fails_a_processing_error_like_an_unreachable_provider() -> None:
    gateway = FakePaymentGateway()
    with pytest.raises(PaymentUnavailable):
        await gateway.charge(idempotency_key="k", amount=USD_10, token="tok_processingError")
    assert gateway.charges == {}


async def test_a_charge_that_fails_after_capture_has_still_taken_the_money() -> None:
    gateway = FakePaymentGateway()
    gateway.fail_after_capture = True
    with pytest.raises(PaymentUnavailable):
        await gateway.charge(idempotency_key="k", amount=USD_10, token="tok_visa")
    assert await gateway.find_charge("k") is not None


@pytest.mark.parametrize(("switch", "captured"),
                         [("hang_before_capture", False), ("hang_after_capture", True)])
async def test_a_hanging_charge_times_out_with_or_without_the_money_taken(
    switch: str, captured: bool
) -> None:
    gateway = FakePaymentGateway()
    setattr(gateway, switch, True)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            gateway.charge(idempotency_key="k", amount=USD_10, token="tok_visa"), 0.01)
    assert ("k" in gateway.charges) is captured


async def test_refunds_are_idempotent_by_key_and_switches_make_calls_fail() -> None:
    gateway = FakePaymentGateway()
    charge = await gateway.charge(idempotency_key="k", amount=USD_10, token="tok_visa")
    await gateway.refund(idempotency_key="r", charge=charge, amount=USD_10)
    await gateway.refund(idempotency_key="r", charge=charge, amount=USD_10)
    assert len(gateway.refunds) == 1
    assert gateway.refund_calls == ["r", "r"]
    gateway.refund_unreachable = gateway.find_charge_unreachable = True
    with pytest.raises(PaymentUnavailable):
        await gateway.refund(idempotency_key="r2", charge=charge, amount=USD_10)
    with pytest.raises(PaymentUnavailable):
        await gateway.find_charge("k")


async def test_a_unit_of_work_runs_transactions_one_after_the_other_never_nested() -> None:
    factory = FakeUnitOfWorkFactory()
    uow = factory()
    async with uow:
        await uow.categories.add(a_category())
        await uow.commit()
    async with uow:
        await uow.categories.add(a_category())
        await uow.commit()
        with pytest.raises(AssertionError):
            await uow.__aenter__()
    assert len(factory.store.tables.categories) == 2
    assert [e.type_name for e in uow.committed_events()] == ["CategoryCreated"] * 2
    with pytest.raises(AssertionError):
        await uow.categories.get(uuid.uuid4())  # outside a transaction


async def test_a_transaction_keeps_reading_what_was_committed_when_it_began() -> None:
    factory, category, _ = await seeded()
    reader, writer = factory(), factory()
    async with reader:
        async with writer:
            renamed = await writer.categories.get(category.id)
            assert renamed is not None
            renamed.rename("Renamed", LATER)
            await writer.categories.save(renamed)
            await writer.categories.add(a_category())
            await writer.commit()
        seen = await reader.categories.get(category.id)
        assert seen is not None
        assert seen.name == "Books"
        assert len(reader.working_tables().categories) == 1
    assert factory.store.tables.categories[category.id].name == "Renamed"
