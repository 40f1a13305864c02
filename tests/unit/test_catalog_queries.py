"""Catalog queries through the message bus: products, categories and the category tree."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shop.application.catalog.queries import (
    GetCategoryById,
    GetCategoryTree,
    GetProductById,
    ListCategories,
    ListProducts,
)
from shop.application.catalog.views import MAX_PAGE_SIZE, CategoryNode, Page
from shop.domain.catalog.errors import CategoryNotFound, ProductNotFound

from .conftest import Catalog

# ------------------------------------------------------------------ GetProductById


async def test_getting_an_unknown_product_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(ProductNotFound):
        await catalog.bus.ask(GetProductById(product_id=uuid.uuid4()))


# ------------------------------------------------------------------ ListProducts


async def test_products_are_listed_newest_first(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    first = await catalog.product("First", category=books)
    second = await catalog.product("Second", category=books)
    third = await catalog.product("Third", category=books)

    listed = await catalog.bus.ask(ListProducts())

    assert [p.id for p in listed.items] == [third.id, second.id, first.id]
    assert (listed.total, listed.limit, listed.offset) == (3, 20, 0)


async def test_filtering_by_category_includes_every_level_of_subcategories(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    fiction = await catalog.category("Fiction", books)
    crime = await catalog.category("Crime", fiction)
    nordic = await catalog.category("Nordic noir", crime)
    music = await catalog.category("Music")
    in_books = await catalog.product("Atlas", category=books)
    in_crime = await catalog.product("Poirot", category=crime)
    in_nordic = await catalog.product("Wallander", category=nordic)
    await catalog.product("Abbey Road", category=music)

    listed = await catalog.bus.ask(ListProducts(category_id=fiction.id))
    assert {p.id for p in listed.items} == {in_crime.id, in_nordic.id}
    assert listed.total == 2

    listed = await catalog.bus.ask(ListProducts(category_id=books.id))
    assert {p.id for p in listed.items} == {in_books.id, in_crime.id, in_nordic.id}


async def test_filtering_by_a_category_with_no_products_lists_nothing(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    empty = await catalog.category("Empty")
    await catalog.product("Atlas", category=books)

    listed = await catalog.bus.ask(ListProducts(category_id=empty.id))

    assert (listed.items, listed.total) == ([], 0)


async def test_q_matches_names_containing_it_ignoring_case(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    dune = await catalog.product("Dune", category=books)
    messiah = await catalog.product("DUNE Messiah", category=books)
    await catalog.product("Emma", category=books)

    listed = await catalog.bus.ask(ListProducts(q="dUnE"))

    assert {p.id for p in listed.items} == {dune.id, messiah.id}


async def test_an_empty_q_filters_nothing(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    await catalog.product("Dune", category=books)

    assert (await catalog.bus.ask(ListProducts(q=""))).total == 1


async def test_min_and_max_price_are_inclusive(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    prices = ["4.99", "5.00", "7.50", "10.00", "10.01"]
    made = {price: await catalog.product(price, category=books, price=price) for price in prices}

    listed = await catalog.bus.ask(
        ListProducts(min_price=Decimal("5.00"), max_price=Decimal("10.00"))
    )

    assert {p.id for p in listed.items} == {made[p].id for p in ["5.00", "7.50", "10.00"]}


async def test_filters_combine(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    music = await catalog.category("Music")
    wanted = await catalog.product("Dune", category=books, price="10.00")
    await catalog.product("Dune", category=music, price="10.00")
    await catalog.product("Dune", category=books, price="99.00")
    await catalog.product("Emma", category=books, price="10.00")

    listed = await catalog.bus.ask(
        ListProducts(category_id=books.id, q="dune", max_price=Decimal("20"))
    )

    assert [p.id for p in listed.items] == [wanted.id]


async def test_paging_answers_one_page_and_the_total_of_all_matches(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    made = [await catalog.product(f"Book {n}", category=books) for n in range(5)]
    newest_first = [p.id for p in reversed(made)]

    page = await catalog.bus.ask(ListProducts(page=Page(limit=2, offset=2)))

    assert [p.id for p in page.items] == newest_first[2:4]
    assert (page.total, page.limit, page.offset) == (5, 2, 2)
    last = await catalog.bus.ask(ListProducts(page=Page(limit=2, offset=4)))
    assert [p.id for p in last.items] == newest_first[4:]
    beyond = await catalog.bus.ask(ListProducts(page=Page(limit=2, offset=10)))
    assert (beyond.items, beyond.total) == ([], 5)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_PAGE_SIZE + 1, 0), (10, -1)])
def test_a_page_outside_the_allowed_bounds_is_refused(limit: int, offset: int) -> None:
    with pytest.raises(ValueError, match="must"):
        Page(limit=limit, offset=offset)


def test_a_page_defaults_to_20_from_the_start() -> None:
    assert (Page().limit, Page().offset) == (20, 0)


# ------------------------------------------------------------------ categories


async def test_getting_a_category_by_id_answers_it(catalog: Catalog) -> None:
    books = await catalog.category("Books")
    assert await catalog.bus.ask(GetCategoryById(category_id=books.id)) == books


async def test_getting_an_unknown_category_is_not_found(catalog: Catalog) -> None:
    with pytest.raises(CategoryNotFound):
        await catalog.bus.ask(GetCategoryById(category_id=uuid.uuid4()))


async def test_categories_are_listed_flat_by_name_with_paging(catalog: Catalog) -> None:
    music = await catalog.category("Music")
    books = await catalog.category("Books")
    await catalog.category("Novels", books)
    await catalog.category("Jazz", music)

    page = await catalog.bus.ask(ListCategories(page=Page(limit=2, offset=1)))

    assert [c.name for c in page.items] == ["Jazz", "Music"]
    assert page.total == 4


def names(nodes: list[CategoryNode]) -> list[str]:
    return [node.name for node in nodes]


async def test_the_tree_of_no_categories_is_empty(catalog: Catalog) -> None:
    assert await catalog.bus.ask(GetCategoryTree()) == []


async def test_the_category_tree_nests_to_any_depth_with_siblings_sorted_by_name(
    catalog: Catalog,
) -> None:
    books = await catalog.category("Books")
    art = await catalog.category("art")  # sorts by name ignoring case
    fiction = await catalog.category("Fiction", books)
    await catalog.category("Comics", books)
    crime = await catalog.category("Crime", fiction)
    await catalog.category("Classics", fiction)
    nordic = await catalog.category("Nordic noir", crime)
    await catalog.category("Cozy", crime)
    swedish = await catalog.category("Swedish", nordic)

    tree = await catalog.bus.ask(GetCategoryTree())

    assert names(tree) == ["art", "Books"]
    art_node, books_node = tree
    assert art_node.id == art.id
    assert art_node.children == []
    assert names(books_node.children) == ["Comics", "Fiction"]
    fiction_node = books_node.children[1]
    assert fiction_node.id == fiction.id
    assert names(fiction_node.children) == ["Classics", "Crime"]
    crime_node = fiction_node.children[1]
    assert names(crime_node.children) == ["Cozy", "Nordic noir"]
    nordic_node = crime_node.children[1]
    assert nordic_node.id == nordic.id
    assert [(n.id, n.name, n.children) for n in nordic_node.children] == [
        (swedish.id, "Swedish", [])
    ]
