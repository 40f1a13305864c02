"""Category commands through the message bus, on in-memory ports."""

from __future__ import annotations

import uuid

import pytest

from shop.application.catalog.commands import (
    CreateCategory,
    DeleteCategory,
    DeleteProduct,
    UpdateCategory,
)
from shop.application.catalog.queries import GetCategoryById
from shop.domain.catalog.errors import (
    CategoryCycle,
    CategoryInUse,
    CategoryNotFound,
    UnknownCategory,
)
from shop.domain.catalog.events import CategoryDeleted, CategoryUpdated
from shop.domain.shared.errors import InvalidValue

from .conftest import Catalog
from .fakes import T0

# ------------------------------------------------------------------ CreateCategory


async def test_creating_a_root_category_answers_it_with_no_parent(catalog: Catalog) -> None:
    books = await catalog.bus.handle(CreateCategory(name=" Books "))

    assert books.name == "Books"
    assert books.parent_id is None
    assert books.created_at == T0
    assert await catalog.bus.ask(GetCategoryById(category_id=books.id)) == books
    assert catalog.event_types() == ["CategoryCreated"]


async def test_creating_a_category_under_an_existing_parent_links_it(catalog: Catalog) -> None:
    books = await catalog.category("Books")

    novels = await catalog.bus.handle(CreateCategory(name="Novels", parent_id=books.id))

    assert novels.parent_id == books.id
    assert catalog.store.parent_map()[novels.id] == books.id


async def test_creating_a_category_under_an_unknown_parent_is_refused_and_stores_nothing(
    catalog: Catalog,
) -> None:
    with pytest.raises(UnknownCategory) as refused:
        await catalog.bus.handle(CreateCategory(name="Orphans", parent_id=uuid.uuid4()))

    assert refused.value.field == "parent_id"
    assert catalog.store.tables.categories == {}
    assert catalog.published == []


async def test_creating_a_category_with_a_blank_name_is_refused_and_stores_nothing(
    catalog: Catalog,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await catalog.bus.handle(CreateCategory(name="   "))

    assert refused.value.field == "name"
    assert catalog.store.tables.categories == {}


# ------------------------------------------------------------------ UpdateCategory


async def test_renaming_a_category_leaves_its_parent_unchanged(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    novels = await catalog.category("Novels", books)

    renamed = await catalog.bus.handle(UpdateCategory(category_id=novels.id, name="Fiction"))

    assert (renamed.name, renamed.parent_id) == ("Fiction", books.id)
    stored = await catalog.bus.ask(GetCategoryById(category_id=novels.id))
    assert (stored.name, stored.parent_id) == ("Fiction", books.id)


async def test_moving_a_category_without_a_name_keeps_its_name(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    music = await catalog.category("Music")
    novels = await catalog.category("Novels", books)

    moved = await catalog.bus.handle(UpdateCategory(category_id=novels.id, parent_id=music.id))

    assert (moved.name, moved.parent_id) == ("Novels", music.id)
    assert catalog.store.parent_map()[novels.id] == music.id


async def test_moving_a_category_to_the_root_with_parent_id_none(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    novels = await catalog.category("Novels", books)

    moved = await catalog.bus.handle(UpdateCategory(category_id=novels.id, parent_id=None))

    assert moved.parent_id is None
    assert catalog.store.parent_map()[novels.id] is None


async def test_an_update_with_no_fields_changes_nothing_but_still_answers_the_category(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    novels = await catalog.category("Novels", books)

    same = await catalog.bus.handle(UpdateCategory(category_id=novels.id))

    assert same == novels


async def test_updating_a_category_publishes_category_updated_with_its_new_state(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")

    await catalog.bus.handle(UpdateCategory(category_id=books.id, name="Reading"))

    event = catalog.published[-1]
    assert isinstance(event, CategoryUpdated)
    assert (event.category_id, event.name, event.parent_id) == (books.id, "Reading", None)


async def test_moving_a_category_under_itself_is_refused_and_changes_nothing(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    before = catalog.store.parent_map()
    published = len(catalog.published)

    with pytest.raises(CategoryCycle):
        await catalog.bus.handle(UpdateCategory(category_id=books.id, parent_id=books.id))

    assert catalog.store.parent_map() == before
    assert len(catalog.published) == published


async def test_moving_a_category_under_its_grandchild_is_refused_and_the_rename_is_not_kept(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    novels = await catalog.category("Novels", books)
    crime = await catalog.category("Crime", novels)
    before = catalog.store.parent_map()

    with pytest.raises(CategoryCycle):
        await catalog.bus.handle(
            UpdateCategory(category_id=books.id, name="Renamed", parent_id=crime.id)
        )

    assert catalog.store.parent_map() == before
    assert (await catalog.bus.ask(GetCategoryById(category_id=books.id))).name == "Books"


async def test_moving_a_category_under_an_unknown_parent_is_refused(catalog: Catalog) -> None:
    books = await catalog.category("Books")

    with pytest.raises(UnknownCategory) as refused:
        await catalog.bus.handle(UpdateCategory(category_id=books.id, parent_id=uuid.uuid4()))

    assert refused.value.field == "parent_id"
    assert catalog.store.parent_map() == {books.id: None}


async def test_updating_an_unknown_category_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(CategoryNotFound):
        await catalog.bus.handle(UpdateCategory(category_id=uuid.uuid4(), name="Anything"))


# ------------------------------------------------------------------ DeleteCategory


async def test_deleting_a_leaf_category_removes_it(catalog: Catalog) -> None:
    books = await catalog.category("Books")

    await catalog.bus.handle(DeleteCategory(category_id=books.id))

    with pytest.raises(CategoryNotFound):
        await catalog.bus.ask(GetCategoryById(category_id=books.id))
    event = catalog.published[-1]
    assert isinstance(event, CategoryDeleted)
    assert event.category_id == books.id


async def test_deleting_a_category_with_subcategories_is_refused_and_keeps_it(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    await catalog.category("Novels", books)

    with pytest.raises(CategoryInUse):
        await catalog.bus.handle(DeleteCategory(category_id=books.id))

    assert books.id in catalog.store.tables.categories


async def test_deleting_a_category_with_products_is_refused_and_keeps_it(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    await catalog.product("Dune", category=books)

    with pytest.raises(CategoryInUse):
        await catalog.bus.handle(DeleteCategory(category_id=books.id))

    assert books.id in catalog.store.tables.categories


async def test_a_category_whose_products_were_all_deleted_can_be_deleted(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)
    await catalog.bus.handle(DeleteProduct(product_id=dune.id))

    await catalog.bus.handle(DeleteCategory(category_id=books.id))

    assert books.id not in catalog.store.tables.categories


async def test_deleting_an_unknown_category_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(CategoryNotFound):
        await catalog.bus.handle(DeleteCategory(category_id=uuid.uuid4()))
