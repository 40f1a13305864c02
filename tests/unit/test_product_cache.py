"""Product reads are cache-aside, and a client always reads its own writes."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from shop.application.catalog.commands import DeleteProduct, UpdateProduct
from shop.application.catalog.queries import GetProductById
from shop.application.catalog.views import ProductView
from shop.domain.catalog.errors import ProductNotFound

from .conftest import Catalog
from .fakes import FakeCatalogReadModel, Store, build_fake_shop


async def test_a_second_read_is_served_from_the_cache(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)

    first = await catalog.bus.ask(GetProductById(product_id=dune.id))
    second = await catalog.bus.ask(GetProductById(product_id=dune.id))

    assert first == second == dune
    assert catalog.read_model.product_reads == 1


async def test_a_read_after_an_update_answers_the_new_value_though_the_cache_held_the_old(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books, price="10.00")
    await catalog.bus.ask(GetProductById(product_id=dune.id))
    assert await catalog.cache.get(dune.id) == dune

    await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="Dune II", price="12.00"))
    read = await catalog.bus.ask(GetProductById(product_id=dune.id))

    assert (read.name, str(read.price), read.product_version) == ("Dune II", "12.00", 2)


async def test_a_read_after_a_delete_is_not_found_though_the_cache_held_the_product(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)
    await catalog.bus.ask(GetProductById(product_id=dune.id))

    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    with pytest.raises(ProductNotFound):
        await catalog.bus.ask(GetProductById(product_id=dune.id))


class GatedReadModel(FakeCatalogReadModel):
    """Holds the next product read between loading the view and answering it."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.hold_next = False
        self.loaded = asyncio.Event()
        self.release = asyncio.Event()

    async def product(self, product_id: uuid.UUID) -> ProductView | None:
        view = await super().product(product_id)
        if self.hold_next:
            self.hold_next = False
            self.loaded.set()
            await self.release.wait()
        return view


async def test_a_slow_readers_stale_put_after_an_invalidation_is_refused() -> None:
    store = Store()
    gated = GatedReadModel(store)
    catalog = Catalog(build_fake_shop(store=store, read_model=gated))
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)

    # A reader loads version 1 and stalls before putting it in the cache ...
    gated.hold_next = True
    slow_read = asyncio.create_task(catalog.bus.ask(GetProductById(product_id=dune.id)))
    await gated.loaded.wait()
    # ... while a writer commits version 2 and invalidates ...
    renamed = await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="Dune II"))
    # ... then the reader wakes up and tries to put version 1 back.
    gated.release.set()
    stale = await slow_read

    assert stale.product_version == 1
    assert catalog.cache.refused_puts == [stale]
    assert await catalog.bus.ask(GetProductById(product_id=dune.id)) == renamed


async def test_the_fresh_view_read_after_an_invalidation_is_cached_again(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)
    await catalog.bus.ask(GetProductById(product_id=dune.id))
    renamed = await catalog.bus.handle(UpdateProduct(product_id=dune.id, name="Dune II"))

    await catalog.bus.ask(GetProductById(product_id=dune.id))
    reads = catalog.read_model.product_reads
    again = await catalog.bus.ask(GetProductById(product_id=dune.id))

    assert again == renamed
    assert catalog.read_model.product_reads == reads
