"""The message bus: commands run in a unit of work; committed events reach their handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from shop.application.catalog.commands import DeleteProduct, UpdateProduct
from shop.application.catalog.queries import GetProductById
from shop.application.messagebus import AfterCommitHook, EventHandler, MessageBus, NoHandler
from shop.application.messages import Command, Query
from shop.application.ports import UnitOfWork
from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import DuplicateSku
from shop.domain.catalog.events import ProductDeleted, ProductEvent, ProductUpdated
from shop.domain.shared.events import DomainEvent

from .conftest import Catalog
from .fakes import T0, FakeUnitOfWorkFactory, build_fake_shop


@dataclass(frozen=True, kw_only=True)
class Unregistered(Command[None]):
    pass


@dataclass(frozen=True, kw_only=True)
class UnregisteredQuestion(Query[int]):
    pass


@dataclass(frozen=True, kw_only=True)
class AddCategory(Command[uuid.UUID]):
    name: str
    fail_before_commit: bool = False
    commit: bool = True


async def add_category(command: AddCategory, uow: UnitOfWork) -> uuid.UUID:
    """A minimal command handler: records CategoryCreated through an aggregate."""
    async with uow:
        category = Category.create(id=uuid.uuid4(), name=command.name, parent_id=None, now=T0)
        await uow.categories.add(category)
        if command.fail_before_commit:
            raise RuntimeError("boom")
        if command.commit:
            await uow.commit()
        return category.id


def bus_with(
    factory: FakeUnitOfWorkFactory,
    event_handlers: Mapping[type[DomainEvent], Sequence[EventHandler]] | None = None,
    after_commit: Sequence[AfterCommitHook] = (),
) -> MessageBus:
    return MessageBus(
        uow_factory=factory,
        command_handlers={AddCategory: add_category},
        query_handlers={},
        event_handlers=event_handlers,
        after_commit=after_commit,
    )


async def a_product(catalog: Catalog) -> uuid.UUID:
    books = await catalog.category("Books")
    return (await catalog.product("Dune", category=books)).id


# ------------------------------------------------------------------ routing


async def test_a_command_nobody_handles_is_refused_with_no_handler(catalog: Catalog) -> None:
    with pytest.raises(NoHandler, match="Unregistered"):
        await catalog.bus.handle(Unregistered())


async def test_a_query_nobody_handles_is_refused_with_no_handler(catalog: Catalog) -> None:
    with pytest.raises(NoHandler, match="UnregisteredQuestion"):
        await catalog.bus.ask(UnregisteredQuestion())


async def test_a_command_answers_what_its_handler_returns() -> None:
    factory = FakeUnitOfWorkFactory()
    created = await bus_with(factory).handle(AddCategory(name="Books"))
    assert set(factory.store.tables.categories) == {created}


async def test_each_command_gets_a_fresh_unit_of_work() -> None:
    factory = FakeUnitOfWorkFactory()
    bus = bus_with(factory)
    await bus.handle(AddCategory(name="Books"))
    await bus.handle(AddCategory(name="Music"))
    first, second = factory.made
    assert first is not second


# ------------------------------------------------------------------ events after commit


async def test_event_handlers_run_after_the_commit_and_see_the_committed_state() -> None:
    factory = FakeUnitOfWorkFactory()
    seen: list[tuple[str, bool]] = []

    async def on_event(event: DomainEvent) -> None:
        seen.append((event.type_name, factory.made[-1].committed))

    bus = bus_with(factory, {DomainEvent: [on_event]})
    category_id = await bus.handle(AddCategory(name="Books"))

    assert seen == [("CategoryCreated", True)]
    assert category_id in factory.store.tables.categories


async def test_no_event_is_dispatched_when_the_handler_fails_before_committing() -> None:
    factory = FakeUnitOfWorkFactory()
    seen: list[DomainEvent] = []
    hooked: list[Sequence[DomainEvent]] = []

    async def on_event(event: DomainEvent) -> None:
        seen.append(event)

    bus = bus_with(factory, {DomainEvent: [on_event]}, after_commit=[hooked.append])
    with pytest.raises(RuntimeError, match="boom"):
        await bus.handle(AddCategory(name="Books", fail_before_commit=True))

    assert seen == []
    assert hooked == []
    assert factory.store.tables.categories == {}
    assert factory.store.outbox == []


async def test_no_event_is_dispatched_when_the_handler_never_commits() -> None:
    factory = FakeUnitOfWorkFactory()
    seen: list[DomainEvent] = []

    async def on_event(event: DomainEvent) -> None:
        seen.append(event)

    bus = bus_with(factory, {DomainEvent: [on_event]})
    await bus.handle(AddCategory(name="Books", commit=False))

    assert seen == []
    assert factory.store.tables.categories == {}


async def test_an_event_recorded_by_a_real_handler_before_it_failed_is_never_dispatched(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    await catalog.product("Dune", category=books, sku="B-1")
    emma = await catalog.product("Emma", category=books, sku="B-2")
    await catalog.cache.put(emma)
    published = len(catalog.published)

    # The handler revises the product (recording ProductUpdated), then finds the sku taken.
    with pytest.raises(DuplicateSku):
        await catalog.bus.handle(UpdateProduct(product_id=emma.id, name="Emma!", sku="B-1"))

    assert len(catalog.published) == published
    assert await catalog.cache.get(emma.id) == emma


async def test_after_commit_hooks_receive_the_committed_events_in_order() -> None:
    hooked: list[list[str]] = []
    catalog = Catalog(build_fake_shop(
        after_commit=[lambda events: hooked.append([e.type_name for e in events])]))
    books = await catalog.category("Books")

    await catalog.product("Dune", category=books, stock=2)

    assert hooked == [["CategoryCreated"], ["ProductCreated", "StockChanged"]]


async def test_a_handler_subscribed_to_a_base_event_receives_every_subclass() -> None:
    product_events: list[type[DomainEvent]] = []

    async def on_product_event(event: ProductEvent) -> None:
        product_events.append(type(event))

    catalog = Catalog(build_fake_shop(observers={ProductEvent: [on_product_event]}))
    dune = await a_product(catalog)
    product_events.clear()  # its creation
    await catalog.bus.handle(UpdateProduct(product_id=dune, name="Dune II"))
    await catalog.bus.handle(DeleteProduct(product_id=dune))

    assert product_events == [ProductUpdated, ProductDeleted]


# ------------------------------------------------------------------ failing event handlers


async def test_a_failing_event_handler_is_logged_and_the_command_still_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode(event: ProductUpdated) -> None:
        raise RuntimeError("handler bug")

    catalog = Catalog(build_fake_shop(observers={ProductUpdated: [explode]}))
    dune = await a_product(catalog)
    await catalog.bus.ask(GetProductById(product_id=dune))  # now cached
    assert await catalog.cache.get(dune) is not None

    with caplog.at_level(logging.ERROR, logger="shop.bus"):
        renamed = await catalog.bus.handle(UpdateProduct(product_id=dune, name="Dune II"))

    assert renamed.name == "Dune II"
    assert catalog.store.tables.products[dune].name == "Dune II"
    [record] = [r for r in caplog.records if r.name == "shop.bus"]
    assert record.getMessage() == "event handler failed"
    assert record.exc_info is not None
    # The other handlers of the same event still ran: the cache no longer holds the old view.
    assert await catalog.cache.get(dune) is None


async def test_a_failing_event_handler_does_not_stop_the_events_after_it() -> None:
    calls: list[str] = []

    async def explode(event: DomainEvent) -> None:
        calls.append(event.type_name)
        raise RuntimeError("handler bug")

    catalog = Catalog(build_fake_shop(observers={DomainEvent: [explode]}))
    books = await catalog.category("Books")
    await catalog.product("Dune", category=books, stock=1)

    assert calls == ["CategoryCreated", "ProductCreated", "StockChanged"]
