"""The Category entity: a named node that can never become its own ancestor."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shop.domain.catalog.category import Category
from shop.domain.catalog.errors import CategoryCycle
from shop.domain.catalog.events import CategoryCreated, CategoryDeleted, CategoryUpdated
from shop.domain.shared.errors import InvalidValue

from .fakes import T0

LATER = T0 + timedelta(hours=1)


def new_category(name: str = "Books", parent_id: uuid.UUID | None = None) -> Category:
    return Category.create(id=uuid.uuid4(), name=name, parent_id=parent_id, now=T0)


def test_a_new_category_has_a_trimmed_name_and_records_its_creation() -> None:
    parent = uuid.uuid4()
    category = new_category("  Books  ", parent)

    assert category.name == "Books"
    assert category.parent_id == parent
    assert category.created_at == category.updated_at == T0
    [event] = category.pull_events()
    assert isinstance(event, CategoryCreated)
    assert (event.category_id, event.name, event.parent_id) == (category.id, "Books", parent)


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 201])
def test_a_category_needs_a_name_of_1_to_200_characters(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        new_category(name)
    assert refused.value.field == "name"


def test_a_name_of_exactly_200_characters_is_accepted() -> None:
    assert new_category("x" * 200).name == "x" * 200


def test_renaming_trims_the_name_and_stamps_the_time() -> None:
    category = new_category()
    category.rename("  Novels ", LATER)
    assert category.name == "Novels"
    assert category.updated_at == LATER


def test_renaming_to_a_blank_name_is_refused_and_keeps_the_old_name() -> None:
    category = new_category("Books")
    with pytest.raises(InvalidValue):
        category.rename("  ", LATER)
    assert category.name == "Books"
    assert category.updated_at == T0


def test_moving_to_the_root_clears_the_parent() -> None:
    category = new_category(parent_id=uuid.uuid4())
    category.move_under(None, [], LATER)
    assert category.parent_id is None
    assert category.updated_at == LATER


def test_moving_under_an_unrelated_category_sets_the_parent() -> None:
    category = new_category()
    grandparent, parent = uuid.uuid4(), uuid.uuid4()
    category.move_under(parent, [parent, grandparent], LATER)
    assert category.parent_id == parent


def test_moving_a_category_under_itself_is_refused() -> None:
    category = new_category()
    with pytest.raises(CategoryCycle):
        category.move_under(category.id, [category.id], LATER)
    assert category.parent_id is None
    assert category.updated_at == T0


def test_moving_a_category_under_itself_is_refused_even_with_an_empty_lineage() -> None:
    category = new_category()
    with pytest.raises(CategoryCycle):
        category.move_under(category.id, [], LATER)


def test_moving_a_category_under_one_of_its_descendants_is_refused() -> None:
    original_parent = uuid.uuid4()
    category = new_category(parent_id=original_parent)
    child, grandchild = uuid.uuid4(), uuid.uuid4()
    # The lineage of the grandchild: itself, its parent, and up to the root.
    lineage = [grandchild, child, category.id, original_parent]

    with pytest.raises(CategoryCycle):
        category.move_under(grandchild, lineage, LATER)
    assert category.parent_id == original_parent


def test_marking_updated_and_deleted_records_events_with_the_current_state() -> None:
    category = new_category()
    category.pull_events()
    category.rename("Novels", LATER)
    category.mark_updated()
    category.mark_deleted()

    updated, deleted = category.pull_events()
    assert isinstance(updated, CategoryUpdated)
    assert updated.name == "Novels"
    assert isinstance(deleted, CategoryDeleted)
    assert deleted.category_id == category.id
    assert category.pull_events() == []
