"""The inventory API as a client sees it: `/api/v1/inventory/{product_id}`, on both profiles.

Reading stock is open to anyone; adjusting it or setting it needs the admin
role. Every refusal is checked to leave the stock as it was, and no route may
answer 500 (the client from `serving` fails the test on one).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.domain.inventory.stock import MAX_STOCK
from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import Json, assert_problem
from tests.e2e.shop_client import (
    INVENTORY,
    PRODUCTS,
    Account,
    ShopClient,
    bearer,
    cheap_runtime,
    order_body,
    serving_in_loop,
    with_accounts,
)

Client = AsyncTestClient[Litestar]
STOCK_FIELDS = {"product_id", "stock", "updated_at"}
FORGED = bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Both profiles of tests/e2e/conftest.py, with a known admin and JWT secret."""
    return with_accounts(settings)


@pytest.fixture
async def product(shop: ShopClient) -> Json:
    return await shop.product(stock=10)


def adjustments(product: Json | str) -> str:
    product_id = product if isinstance(product, str) else product["id"]
    return f"{INVENTORY}/{product_id}/adjustments"


def level(product: Json | str) -> str:
    product_id = product if isinstance(product, str) else product["id"]
    return f"{INVENTORY}/{product_id}"


def adjustment(delta: Any, reason: Any = "recount") -> Json:
    return {"delta": delta, "reason": reason}


def assert_stock_body(response: httpx.Response, product: Json, stock: int) -> Json:
    assert response.status_code == 200, response.text
    body: Json = response.json()
    assert set(body) == STOCK_FIELDS
    assert (body["product_id"], body["stock"]) == (product["id"], stock)
    assert body["updated_at"].endswith(("Z", "+00:00"))
    return body


def when(body: Json) -> datetime:
    return datetime.fromisoformat(body["updated_at"].replace("Z", "+00:00"))


# --- reading ----------------------------------------------------------------------

async def test_anyone_reads_the_stock_of_a_product(
    api: Client, product: Json, ann: Account, admin: Account
) -> None:
    anonymous = await api.get(level(product))

    assert_stock_body(anonymous, product, 10)
    for account in (ann, admin):
        assert_stock_body(await api.get(level(product), headers=account.headers), product, 10)
    # A bad token on an open route is still refused: a client learns its token is broken.
    forged = await api.get(level(product), headers=FORGED)
    assert forged.status_code in {200, 401}, forged.text


async def test_the_stock_of_an_unknown_or_deleted_product_answers_404(
    api: Client, shop: ShopClient
) -> None:
    gone = await shop.product(stock=3)
    await shop.delete_product(gone)

    assert_problem(await api.get(level(str(uuid.uuid4()))), 404)
    assert_problem(await api.get(level(gone)), 404)
    not_an_id = await api.get(f"{INVENTORY}/not-a-uuid")
    assert not_an_id.status_code in {400, 404}, not_an_id.text


# --- adjusting --------------------------------------------------------------------

async def test_an_admin_adjusts_stock_up_and_down_to_zero(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    up = await api.post(adjustments(product), json=adjustment(5, "delivery"),
                        headers=admin.headers)
    first = assert_stock_body(up, product, 15)
    assert await shop.stock(product) == 15
    # The product view is fresh after the admin's own write (its stock comes from the cache).
    assert (await api.get(f"{PRODUCTS}/{product['id']}")).json()["stock"] == 15

    down = await api.post(adjustments(product), json=adjustment(-15, "shrinkage"),
                          headers=admin.headers)

    second = assert_stock_body(down, product, 0)
    assert when(second) >= when(first)
    assert await shop.stock(product) == 0
    assert (await api.get(f"{PRODUCTS}/{product['id']}")).json()["stock"] == 0


async def test_an_adjustment_below_zero_answers_409_and_changes_nothing(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    before = (await api.get(level(product))).json()

    response = await api.post(adjustments(product), json=adjustment(-11),
                              headers=admin.headers)

    assert_problem(response, 409)
    assert (await api.get(level(product))).json() == before
    # Exactly everything can go.
    assert_stock_body(await api.post(adjustments(product), json=adjustment(-10),
                                     headers=admin.headers), product, 0)
    assert_problem(await api.post(adjustments(product), json=adjustment(-1),
                                  headers=admin.headers), 409)
    assert await shop.stock(product) == 0


async def test_a_zero_delta_is_refused(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    response = await api.post(adjustments(product), json=adjustment(0), headers=admin.headers)

    assert response.status_code in {400, 422}, response.text
    problem = assert_problem(response, response.status_code)
    assert [e["field"] for e in problem["errors"]] == ["delta"]
    assert await shop.stock(product) == 10


BAD_ADJUSTMENTS: dict[str, Any] = {
    "fractional delta": adjustment(1.5),
    "boolean delta": adjustment(True),
    "null delta": adjustment(None),
    "missing delta": {"reason": "recount"},
    "missing reason": {"delta": 1},
    "blank reason": adjustment(1, "   "),
    "empty reason": adjustment(1, ""),
    "reason of 201 characters": adjustment(1, "r" * 201),
    "reason not a string": adjustment(1, 7),
    "unknown field stock": {**adjustment(1), "stock": 99},
    "unknown field product_id": {**adjustment(1), "product_id": str(uuid.uuid4())},
    "delta above any stock": adjustment(MAX_STOCK + 1),
    "delta below any stock": adjustment(-MAX_STOCK - 1),
    "a list as body": [adjustment(1)],
}


async def test_malformed_adjustments_answer_400_or_422_and_change_nothing(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    for name, body in BAD_ADJUSTMENTS.items():
        response = await api.post(adjustments(product), json=body, headers=admin.headers)
        assert response.status_code in {400, 422}, f"{name}: {response.status_code} {response.text}"
        problem = assert_problem(response, response.status_code)
        assert problem.get("errors"), f"{name}: no `errors` in {problem}"
    no_json = await api.post(adjustments(product), content=b"{delta:", headers={
        **admin.headers, "Content-Type": "application/json"})
    assert_problem(no_json, 400)
    empty = await api.post(adjustments(product), headers=admin.headers)
    assert_problem(empty, 400)
    assert await shop.stock(product) == 10


async def test_a_delta_sent_as_a_string_is_refused(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    response = await api.post(adjustments(product), json=adjustment("5"), headers=admin.headers)

    assert response.status_code in {400, 422}, response.text
    assert await shop.stock(product) == 10


async def test_adjusting_needs_the_admin_role(
    api: Client, shop: ShopClient, ann: Account, product: Json
) -> None:
    assert_problem(await api.post(adjustments(product), json=adjustment(5),
                                  headers=ann.headers), 403)
    for headers in ({}, FORGED, {"Authorization": "Bearer"}):
        assert_problem(await api.post(adjustments(product), json=adjustment(5),
                                      headers=headers), 401)
    assert await shop.stock(product) == 10


async def test_adjusting_an_unknown_or_deleted_product_answers_404(
    api: Client, shop: ShopClient, admin: Account
) -> None:
    gone = await shop.product(stock=3)
    await shop.delete_product(gone)

    for target in (str(uuid.uuid4()), gone["id"]):
        assert_problem(await api.post(adjustments(target), json=adjustment(1),
                                      headers=admin.headers), 404)


# --- setting ----------------------------------------------------------------------

async def test_an_admin_sets_the_stock_outright(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    response = await api.put(level(product), json={"stock": 42}, headers=admin.headers)

    assert_stock_body(response, product, 42)
    assert await shop.stock(product) == 42
    assert (await api.get(f"{PRODUCTS}/{product['id']}")).json()["stock"] == 42
    assert_stock_body(await api.put(level(product), json={"stock": 42}, headers=admin.headers),
                      product, 42)  # setting the same level again is fine
    assert_stock_body(await api.put(level(product), json={"stock": 0}, headers=admin.headers),
                      product, 0)
    assert await shop.stock(product) == 0


BAD_LEVELS: dict[str, Any] = {
    "negative stock": {"stock": -1},
    "fractional stock": {"stock": 2.5},
    "null stock": {"stock": None},
    "missing stock": {},
    "stock above the maximum": {"stock": MAX_STOCK + 1},
    "a delta instead": {"delta": 5},
    "unknown field reason": {"stock": 5, "reason": "count"},
    "read-only field updated_at": {"stock": 5, "updated_at": "2026-01-01T00:00:00Z"},
    "read-only field product_id": {"stock": 5, "product_id": str(uuid.uuid4())},
}


async def test_malformed_levels_answer_400_or_422_and_change_nothing(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    for name, body in BAD_LEVELS.items():
        response = await api.put(level(product), json=body, headers=admin.headers)
        assert response.status_code in {400, 422}, f"{name}: {response.status_code} {response.text}"
        problem = assert_problem(response, response.status_code)
        assert problem.get("errors"), f"{name}: no `errors` in {problem}"
    assert await shop.stock(product) == 10


async def test_a_level_sent_as_a_string_is_refused(
    api: Client, shop: ShopClient, admin: Account, product: Json
) -> None:
    response = await api.put(level(product), json={"stock": "7"}, headers=admin.headers)

    assert response.status_code in {400, 422}, response.text
    assert await shop.stock(product) == 10


async def test_setting_needs_the_admin_role(
    api: Client, shop: ShopClient, ann: Account, product: Json
) -> None:
    assert_problem(await api.put(level(product), json={"stock": 1}, headers=ann.headers), 403)
    for headers in ({}, FORGED):
        assert_problem(await api.put(level(product), json={"stock": 1}, headers=headers), 401)
    assert await shop.stock(product) == 10


async def test_setting_an_unknown_or_deleted_product_answers_404(
    api: Client, shop: ShopClient, admin: Account
) -> None:
    gone = await shop.product(stock=3)
    await shop.delete_product(gone)

    for target in (str(uuid.uuid4()), gone["id"]):
        assert_problem(await api.put(level(target), json={"stock": 1}, headers=admin.headers), 404)


# --- inventory and orders together -------------------------------------------------

async def test_orders_see_the_stock_an_admin_sets_and_adjustments_see_orders(
    api: Client, shop: ShopClient, admin: Account, ann: Account, product: Json
) -> None:
    assert (await api.put(level(product), json={"stock": 0},
                          headers=admin.headers)).status_code == 200
    assert_problem(await shop.place(ann, order_body((product, 1))), 409)

    assert_stock_body(await api.post(adjustments(product), json=adjustment(3, "restock"),
                                     headers=admin.headers), product, 3)
    order = await shop.paid_order(ann, (product, 2))
    assert await shop.stock(product) == 1
    assert_problem(await api.post(adjustments(product), json=adjustment(-2),
                                  headers=admin.headers), 409)

    cancelled = await api.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert await shop.stock(product) == 3


async def test_concurrent_adjustments_never_take_stock_below_zero(settings: Settings) -> None:
    async with serving_in_loop(cheap_runtime(settings)) as http:
        shop = ShopClient(http)
        admin = await shop.admin()
        product = await shop.product(stock=10)

        answers = await asyncio.gather(*(
            http.post(adjustments(product), json=adjustment(-1), headers=admin.headers)
            for _ in range(25)))

        codes = sorted(a.status_code for a in answers)
        assert codes == [200] * 10 + [409] * 15, [a.text for a in answers]
        assert sorted(a.json()["stock"] for a in answers if a.status_code == 200) == list(
            range(10))
        assert await shop.stock(product) == 0


# --- the upper bound ----------------------------------------------------------------

@pytest.fixture
async def tolerant_api(settings: Settings) -> AsyncIterator[Client]:
    """Like `api`, but a 500 fails only the test that checks for it (used by an xfail)."""
    async with AsyncTestClient(app=create_app(runtime=cheap_runtime(settings))) as test_client:
        yield test_client


async def test_adjustments_cannot_raise_stock_beyond_the_maximum_level(
    tolerant_api: Client,
) -> None:
    shop = ShopClient(tolerant_api)
    admin = await shop.admin()
    product = await shop.product(stock=0)
    full = await tolerant_api.put(level(product), json={"stock": MAX_STOCK},
                                  headers=admin.headers)
    assert full.status_code == 200, full.text

    responses = [await tolerant_api.post(adjustments(product), json=adjustment(MAX_STOCK),
                                         headers=admin.headers) for _ in range(2)]

    assert [r.status_code for r in responses] in ([409, 409], [422, 422]), [
        r.text for r in responses]
    assert await shop.stock(product) == MAX_STOCK
