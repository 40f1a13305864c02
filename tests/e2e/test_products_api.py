"""The products API as a client sees it: `/api/v1/products`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.helpers import Catalog, Json, assert_problem, error_fields

PRODUCTS = "/api/v1/products"
PRODUCT_FIELDS = {
    "id", "name", "description", "price", "currency", "category_id",
    "stock", "sku", "created_at", "updated_at",
}

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def shoes(catalog: Catalog) -> Json:
    return await catalog.category("Shoes")


def new_product(category: Json, **fields: Any) -> Json:
    return {"name": "Trail runner", "price": "89.90", "category_id": category["id"], "stock": 10,
            **fields}


async def test_creating_a_product_answers_201_with_exactly_the_public_fields(
    client: Client, shoes: Json
) -> None:
    response = await client.post(
        PRODUCTS,
        json=new_product(shoes, price="19.9", description="Light", currency="EUR", sku="TR-1"),
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == PRODUCT_FIELDS
    assert body["price"] == "19.90"
    assert (body["currency"], body["description"], body["sku"]) == ("EUR", "Light", "TR-1")
    assert (body["stock"], body["category_id"]) == (10, shoes["id"])
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert body["updated_at"].endswith(("Z", "+00:00"))


async def test_a_new_product_defaults_to_usd_an_empty_description_and_no_sku(
    client: Client, shoes: Json
) -> None:
    body = (await client.post(PRODUCTS, json=new_product(shoes, price="5"))).json()

    assert (body["price"], body["currency"], body["description"], body["sku"]) == (
        "5.00", "USD", "", None,
    )


async def test_creating_a_product_in_an_unknown_category_answers_422_naming_category_id(
    client: Client,
) -> None:
    response = await client.post(PRODUCTS, json=new_product({"id": str(uuid.uuid4())}))

    body = assert_problem(response, 422, "/problems/unknown-reference")
    assert error_fields(body) == {"category_id"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": 19.9}, "price"),
        ({"price": 20}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": "1e3"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"stock": "3"}, "stock"),
        ({"stock": 3.0}, "stock"),
        ({"stock": True}, "stock"),
        ({"stock": None}, "stock"),
        ({"stock": 1_000_000_001}, "stock"),
        ({"currency": "usd"}, "currency"),
        ({"sku": ""}, "sku"),
        ({"sku": "x" * 65}, "sku"),
        ({"description": "x" * 5001}, "description"),
        ({"name": ""}, "name"),
        ({"category_id": "not-a-uuid"}, "category_id"),
    ],
)
async def test_creating_a_product_with_a_value_outside_the_schema_answers_400(
    client: Client, shoes: Json, fields: Json, field: str
) -> None:
    response = await client.post(PRODUCTS, json=new_product(shoes, **fields))

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {field}


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at", "product_version", "role"])
async def test_creating_a_product_with_a_read_only_or_unknown_field_answers_400(
    client: Client, shoes: Json, field: str
) -> None:
    response = await client.post(PRODUCTS, json=new_product(shoes, **{field: "x"}))

    body = assert_problem(response, 400, "/problems/validation")
    assert error_fields(body) == {field}


@pytest.mark.parametrize("missing", ["name", "price", "category_id", "stock"])
async def test_creating_a_product_without_a_required_field_answers_400_naming_it(
    client: Client, shoes: Json, missing: str
) -> None:
    body = new_product(shoes)
    del body[missing]

    problem = assert_problem(await client.post(PRODUCTS, json=body), 400)

    assert error_fields(problem) == {missing}


async def test_an_unknown_currency_code_answers_422(client: Client, shoes: Json) -> None:
    response = await client.post(PRODUCTS, json=new_product(shoes, currency="ABC"))

    body = assert_problem(response, 422, "/problems/invalid-value")
    assert error_fields(body) == {"currency"}


async def test_creating_a_product_with_a_taken_sku_answers_409(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    await catalog.product(shoes, sku="TR-1")

    response = await client.post(PRODUCTS, json=new_product(shoes, name="Copy", sku="TR-1"))

    assert_problem(response, 409, "/problems/conflict")


async def test_getting_a_product_answers_200_with_it(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)

    response = await client.get(f"{PRODUCTS}/{product['id']}")

    assert response.status_code == 200
    assert response.json() == product


async def test_catalog_reads_need_no_token(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)

    for path in (f"{PRODUCTS}/{product['id']}", PRODUCTS, "/api/v1/categories",
                 "/api/v1/categories/tree", f"/api/v1/categories/{shoes['id']}"):
        request = client.build_request("GET", path)
        del request.headers["authorization"]
        assert (await client.send(request)).status_code == 200, path


async def test_getting_an_unknown_product_answers_404(client: Client) -> None:
    response = await client.get(f"{PRODUCTS}/{uuid.uuid4()}")

    assert_problem(response, 404, "/problems/not-found")


async def test_a_product_id_that_is_not_a_uuid_answers_404(client: Client) -> None:
    response = await client.get(f"{PRODUCTS}/not-a-uuid")

    assert_problem(response, 404)


async def test_patching_a_product_changes_only_the_given_fields(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes, description="Light", sku="TR-1")

    response = await client.patch(f"{PRODUCTS}/{product['id']}", json={"price": "79.5"})

    assert response.status_code == 200
    body = response.json()
    assert body["price"] == "79.50"
    unchanged = {k: v for k, v in body.items() if k not in {"price", "updated_at"}}
    assert unchanged == {k: v for k, v in product.items() if k not in {"price", "updated_at"}}
    assert body["updated_at"] >= product["updated_at"]


async def test_a_patched_product_reads_back_fresh(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)
    await client.get(f"{PRODUCTS}/{product['id']}")  # now cached

    await client.patch(f"{PRODUCTS}/{product['id']}", json={"name": "Road runner"})
    read = (await client.get(f"{PRODUCTS}/{product['id']}")).json()

    assert read["name"] == "Road runner"


async def test_patching_every_writable_field_at_once(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)
    boots = await catalog.category("Boots")
    change = {"name": "Hiker", "description": "Warm", "price": "120.00", "currency": "GBP",
              "category_id": boots["id"], "sku": "HK-9"}

    body = (await client.patch(f"{PRODUCTS}/{product['id']}", json=change)).json()

    assert {k: body[k] for k in change} == change


async def test_patching_the_sku_to_null_removes_it(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes, sku="TR-1")

    response = await client.patch(f"{PRODUCTS}/{product['id']}", json={"sku": None})

    assert response.status_code == 200
    assert response.json()["sku"] is None


@pytest.mark.parametrize(
    "body",
    [{"stock": 5}, {"id": str(uuid.uuid4())}, {"created_at": "2026-01-01T00:00:00Z"},
     {"updated_at": "2026-01-01T00:00:00Z"}, {"stock_version": 3}],
)
async def test_patching_stock_or_a_read_only_field_answers_400_and_changes_nothing(
    client: Client, catalog: Catalog, shoes: Json, body: Json
) -> None:
    product = await catalog.product(shoes)

    response = await client.patch(f"{PRODUCTS}/{product['id']}", json=body)

    problem = assert_problem(response, 400, "/problems/validation")
    assert error_fields(problem) == set(body)
    assert (await client.get(f"{PRODUCTS}/{product['id']}")).json() == product


@pytest.mark.parametrize(
    ("body", "field"),
    [({"price": 10}, "price"), ({"name": None}, "name"), ({"category_id": None}, "category_id"),
     ({"price": "-5"}, "price"), ({"name": 7}, "name")],
)
async def test_patching_a_product_with_a_value_outside_the_schema_answers_400(
    client: Client, catalog: Catalog, shoes: Json, body: Json, field: str
) -> None:
    product = await catalog.product(shoes)

    response = await client.patch(f"{PRODUCTS}/{product['id']}", json=body)

    assert error_fields(assert_problem(response, 400)) == {field}


async def test_moving_a_product_to_an_unknown_category_answers_422(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)

    response = await client.patch(
        f"{PRODUCTS}/{product['id']}", json={"category_id": str(uuid.uuid4())}
    )

    assert error_fields(assert_problem(response, 422)) == {"category_id"}


async def test_patching_a_product_to_a_taken_sku_answers_409(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    await catalog.product(shoes, sku="TR-1")
    other = await catalog.product(shoes, name="Other", sku="TR-2")

    response = await client.patch(f"{PRODUCTS}/{other['id']}", json={"sku": "TR-1"})

    assert_problem(response, 409, "/problems/conflict")


async def test_patching_an_unknown_product_answers_404(client: Client) -> None:
    response = await client.patch(f"{PRODUCTS}/{uuid.uuid4()}", json={"name": "Ghost"})

    assert_problem(response, 404, "/problems/not-found")


async def test_deleting_a_product_answers_204_and_it_leaves_the_catalog(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)
    await client.get(f"{PRODUCTS}/{product['id']}")  # now cached

    response = await client.delete(f"{PRODUCTS}/{product['id']}")

    assert response.status_code == 204
    assert_problem(await client.get(f"{PRODUCTS}/{product['id']}"), 404)
    assert (await client.get(PRODUCTS)).json()["total"] == 0


async def test_deleting_an_unknown_product_answers_404(client: Client) -> None:
    response = await client.delete(f"{PRODUCTS}/{uuid.uuid4()}")

    assert_problem(response, 404, "/problems/not-found")


async def test_a_category_can_be_deleted_once_its_products_are_gone(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    product = await catalog.product(shoes)
    await client.delete(f"{PRODUCTS}/{product['id']}")

    response = await client.delete(f"/api/v1/categories/{shoes['id']}")

    assert response.status_code == 204


def names(page: Json) -> set[str]:
    return {item["name"] for item in page["items"]}


async def test_listing_products_answers_the_paged_envelope(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    for index in range(3):
        await catalog.product(shoes, name=f"Shoe {index}")

    first = (await client.get(PRODUCTS, params={"limit": 2})).json()
    rest = (await client.get(PRODUCTS, params={"limit": 2, "offset": 2})).json()

    assert set(first) == {"items", "total", "limit", "offset"}
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (3, 2, 0, 2)
    assert (rest["total"], rest["offset"], len(rest["items"])) == (3, 2, 1)
    assert names(first) | names(rest) == {"Shoe 0", "Shoe 1", "Shoe 2"}
    assert all(set(item) == PRODUCT_FIELDS for item in first["items"])


async def test_a_list_page_read_before_each_kind_of_write_shows_it_right_after(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    hats = await catalog.category("Hats")
    loafer = await catalog.product(shoes, name="Loafer", stock=3)

    async def listed(**params: str) -> Json:
        page: Json = (await client.get(PRODUCTS, params=params)).json()
        return page

    def item(page: Json) -> Json:
        found: Json = next(each for each in page["items"] if each["id"] == loafer["id"])
        return found

    await listed()  # kept from here on, where a process keeps list pages
    await client.patch(f"{PRODUCTS}/{loafer['id']}", json={"price": "12.50"})
    assert item(await listed())["price"] == "12.50"

    await client.post(f"/api/v1/inventory/{loafer['id']}/adjustments",
                      json={"delta": 4, "reason": "restock"})
    assert item(await listed())["stock"] == 7

    await catalog.product(hats, name="Cap")
    assert names(await listed()) == {"Loafer", "Cap"}

    assert names(await listed(category_id=shoes["id"])) == {"Loafer"}
    await client.patch(f"/api/v1/categories/{hats['id']}", json={"parent_id": shoes["id"]})
    assert names(await listed(category_id=shoes["id"])) == {"Loafer", "Cap"}

    await client.delete(f"{PRODUCTS}/{loafer['id']}")
    assert names(await listed()) == {"Cap"}


async def test_filtering_products_by_category_includes_its_subcategories(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    running = await catalog.category("Running", parent=shoes)
    trail = await catalog.category("Trail", parent=running)
    hats = await catalog.category("Hats")
    await catalog.product(shoes, name="Loafer")
    await catalog.product(trail, name="Trail runner")
    await catalog.product(hats, name="Cap")

    under_shoes = (await client.get(PRODUCTS, params={"category_id": shoes["id"]})).json()
    under_running = (await client.get(PRODUCTS, params={"category_id": running["id"]})).json()

    assert names(under_shoes) == {"Loafer", "Trail runner"}
    assert under_shoes["total"] == 2
    assert names(under_running) == {"Trail runner"}


async def test_filtering_products_by_name_is_case_insensitive(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    await catalog.product(shoes, name="Trail Runner")
    await catalog.product(shoes, name="Loafer")

    page = (await client.get(PRODUCTS, params={"q": "RUN"})).json()

    assert names(page) == {"Trail Runner"}


async def test_filtering_products_by_price_range_includes_both_bounds(
    client: Client, catalog: Catalog, shoes: Json
) -> None:
    for name, price in [("Cheap", "9.99"), ("Mid", "50.00"), ("Dear", "120.00")]:
        await catalog.product(shoes, name=name, price=price)

    page = (await client.get(PRODUCTS, params={"min_price": "9.99", "max_price": "50"})).json()

    assert names(page) == {"Cheap", "Mid"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -5}, "offset"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "cheap"}, "max_price"),
        ({"category_id": "shoes"}, "category_id"),
    ],
)
async def test_listing_products_with_a_malformed_parameter_answers_400(
    client: Client, params: Json, field: str
) -> None:
    response = await client.get(PRODUCTS, params=params)

    assert error_fields(assert_problem(response, 400, "/problems/validation")) == {field}
