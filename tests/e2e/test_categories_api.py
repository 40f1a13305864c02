"""The categories API as a client sees it: `/api/v1/categories`."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.helpers import Catalog, assert_problem, error_fields

CATEGORIES = "/api/v1/categories"

Client = AsyncTestClient[Litestar]


async def test_creating_a_category_answers_201_with_the_category(client: Client) -> None:
    response = await client.post(CATEGORIES, json={"name": "Shoes"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "parent_id", "created_at"}
    assert body["name"] == "Shoes"
    assert body["parent_id"] is None
    uuid.UUID(body["id"])
    assert body["created_at"].endswith(("Z", "+00:00"))


async def test_creating_a_subcategory_records_its_parent(catalog: Catalog) -> None:
    shoes = await catalog.category("Shoes")

    running = await catalog.category("Running", parent=shoes)

    assert running["parent_id"] == shoes["id"]


async def test_creating_a_category_under_an_unknown_parent_answers_422_naming_parent_id(
    client: Client,
) -> None:
    orphan = {"name": "Orphan", "parent_id": str(uuid.uuid4())}

    response = await client.post(CATEGORIES, json=orphan)

    body = assert_problem(response, 422, "/problems/unknown-reference")
    assert error_fields(body) == {"parent_id"}


@pytest.mark.parametrize("field", ["id", "created_at", "role", "children"])
async def test_creating_a_category_with_a_read_only_or_unknown_field_answers_400(
    client: Client, field: str
) -> None:
    response = await client.post(CATEGORIES, json={"name": "Shoes", field: "x"})

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {field}


@pytest.mark.parametrize("name", ["", "x" * 201])
async def test_a_category_name_outside_1_to_200_characters_answers_400(
    client: Client, name: str
) -> None:
    response = await client.post(CATEGORIES, json={"name": name})

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {"name"}


async def test_a_blank_category_name_answers_422(client: Client) -> None:
    response = await client.post(CATEGORIES, json={"name": "   "})

    body = assert_problem(response, 422, "/problems/invalid-value")
    assert error_fields(body) == {"name"}


async def test_a_category_without_a_name_answers_400_naming_the_missing_field(
    client: Client,
) -> None:
    response = await client.post(CATEGORIES, json={})

    body = assert_problem(response, 400)
    assert error_fields(body) == {"name"}


async def test_getting_a_category_answers_200_with_it(client: Client, catalog: Catalog) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.get(f"{CATEGORIES}/{shoes['id']}")

    assert response.status_code == 200
    assert response.json() == shoes


async def test_getting_an_unknown_category_answers_404(client: Client) -> None:
    response = await client.get(f"{CATEGORIES}/{uuid.uuid4()}")

    assert_problem(response, 404, "/problems/not-found")


async def test_listing_categories_answers_the_paged_envelope(
    client: Client, catalog: Catalog
) -> None:
    for name in ("Shoes", "Socks", "Hats"):
        await catalog.category(name)

    first = (await client.get(CATEGORIES, params={"limit": 2})).json()
    rest = (await client.get(CATEGORIES, params={"limit": 2, "offset": 2})).json()

    assert set(first) == {"items", "total", "limit", "offset"}
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert (rest["total"], rest["limit"], rest["offset"]) == (3, 2, 2)
    names = {item["name"] for item in first["items"] + rest["items"]}
    assert names == {"Shoes", "Socks", "Hats"}


async def test_listing_categories_defaults_to_20_from_offset_0(client: Client) -> None:
    body = (await client.get(CATEGORIES)).json()

    assert body == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_listing_categories_with_an_out_of_range_page_answers_400(
    client: Client, params: dict[str, str | int], field: str
) -> None:
    response = await client.get(CATEGORIES, params=params)

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {field}


async def test_the_category_tree_nests_subcategories_to_any_depth(
    client: Client, catalog: Catalog
) -> None:
    parent = await catalog.category("Level 0")
    chain = [parent]
    for depth in range(1, 6):
        chain.append(await catalog.category(f"Level {depth}", parent=chain[-1]))
    await catalog.category("Another root")

    tree = (await client.get(f"{CATEGORIES}/tree")).json()

    assert [root["name"] for root in tree] == ["Another root", "Level 0"]
    node = tree[1]
    for expected in chain[1:]:
        assert set(node) == {"id", "name", "children"}
        (node,) = node["children"]
        assert node["id"] == expected["id"]
    assert node["children"] == []


async def test_renaming_a_category_keeps_its_parent(client: Client, catalog: Catalog) -> None:
    shoes = await catalog.category("Shoes")
    running = await catalog.category("Runing", parent=shoes)

    response = await client.patch(f"{CATEGORIES}/{running['id']}", json={"name": "Running"})

    assert response.status_code == 200
    assert response.json() == {**running, "name": "Running"}


async def test_moving_a_category_to_the_top_level_with_a_null_parent(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")
    running = await catalog.category("Running", parent=shoes)

    response = await client.patch(f"{CATEGORIES}/{running['id']}", json={"parent_id": None})

    assert response.status_code == 200
    assert response.json()["parent_id"] is None
    assert response.json()["name"] == "Running"


async def test_moving_a_category_under_another_answers_200(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")
    sale = await catalog.category("Sale")

    response = await client.patch(f"{CATEGORIES}/{sale['id']}", json={"parent_id": shoes["id"]})

    assert response.status_code == 200
    assert response.json()["parent_id"] == shoes["id"]


async def test_moving_a_category_under_itself_answers_409(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.patch(f"{CATEGORIES}/{shoes['id']}", json={"parent_id": shoes["id"]})

    assert_problem(response, 409, "/problems/conflict")


async def test_moving_a_category_under_its_own_descendant_answers_409(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")
    running = await catalog.category("Running", parent=shoes)
    trail = await catalog.category("Trail", parent=running)

    response = await client.patch(f"{CATEGORIES}/{shoes['id']}", json={"parent_id": trail["id"]})

    assert_problem(response, 409, "/problems/conflict")
    unchanged = (await client.get(f"{CATEGORIES}/{shoes['id']}")).json()
    assert unchanged["parent_id"] is None


async def test_moving_a_category_under_an_unknown_parent_answers_422(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.patch(
        f"{CATEGORIES}/{shoes['id']}", json={"parent_id": str(uuid.uuid4())}
    )

    body = assert_problem(response, 422)
    assert error_fields(body) == {"parent_id"}


async def test_patching_an_unknown_category_answers_404(client: Client) -> None:
    response = await client.patch(f"{CATEGORIES}/{uuid.uuid4()}", json={"name": "Ghost"})

    assert_problem(response, 404, "/problems/not-found")


@pytest.mark.parametrize("body", [{"id": "x"}, {"created_at": "2026-01-01T00:00:00Z"}])
async def test_patching_a_read_only_category_field_answers_400(
    client: Client, catalog: Catalog, body: dict[str, str]
) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.patch(f"{CATEGORIES}/{shoes['id']}", json=body)

    assert_problem(response, 400, "/problems/validation")


async def test_patching_a_category_name_to_null_answers_400(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.patch(f"{CATEGORIES}/{shoes['id']}", json={"name": None})

    body = assert_problem(response, 400)
    assert error_fields(body) == {"name"}


async def test_deleting_an_empty_category_answers_204_and_it_is_gone(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")

    response = await client.delete(f"{CATEGORIES}/{shoes['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"{CATEGORIES}/{shoes['id']}"), 404)


async def test_deleting_a_category_that_still_has_subcategories_answers_409(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")
    await catalog.category("Running", parent=shoes)

    response = await client.delete(f"{CATEGORIES}/{shoes['id']}")

    assert_problem(response, 409, "/problems/conflict")
    assert (await client.get(f"{CATEGORIES}/{shoes['id']}")).status_code == 200


async def test_deleting_a_category_that_still_has_products_answers_409(
    client: Client, catalog: Catalog
) -> None:
    shoes = await catalog.category("Shoes")
    await catalog.product(shoes)

    response = await client.delete(f"{CATEGORIES}/{shoes['id']}")

    assert_problem(response, 409, "/problems/conflict")


async def test_deleting_an_unknown_category_answers_404(client: Client) -> None:
    response = await client.delete(f"{CATEGORIES}/{uuid.uuid4()}")

    assert_problem(response, 404, "/problems/not-found")
