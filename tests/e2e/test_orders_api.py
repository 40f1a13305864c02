"""The orders API as a client sees it: `/api/v1/orders`, on both profiles.

Every test checks the stock after what it did: a placement that fails moves
nothing (or gives every unit back), and no route ever answers 500 (the client
from `serving` fails the test on one).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.application.ordering.ports import Charge
from shop.domain.ordering.errors import PaymentUnavailable
from shop.domain.shared.money import Money
from shop.infrastructure.payments.fake import FakePaymentGateway, InMemoryChargeStore
from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import Json, assert_problem, serving
from tests.e2e.shop_client import (
    ORDERS,
    PRODUCTS,
    Account,
    ShopClient,
    bearer,
    card,
    cheap_runtime,
    order_body,
    serving_in_loop,
    with_accounts,
)

Client = AsyncTestClient[Litestar]

ORDER_FIELDS = {"id", "customer_id", "status", "lines", "total", "currency", "shipping_address",
                "payment", "created_at", "updated_at"}
LINE_FIELDS = {"product_id", "product_name", "unit_price", "quantity", "line_total"}
ADDRESS = {"line1": "1 Main St", "line2": None, "city": "Springfield", "postal_code": "12345",
           "country": "US"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Both profiles of tests/e2e/conftest.py, with a known admin and JWT secret."""
    return with_accounts(settings)


@pytest.fixture
async def live_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in the test's own loop: concurrent requests really are concurrent."""
    async with serving_in_loop(cheap_runtime(settings)) as http:
        yield http


@pytest.fixture
async def bob(shop: ShopClient) -> Account:
    return await shop.customer("bob")


async def assert_no_orders(shop: ShopClient) -> None:
    page = await shop.orders(await shop.admin())
    assert page["total"] == 0, page


async def only_order(shop: ShopClient, account: Account) -> Json:
    page = await shop.orders(account)
    assert page["total"] == 1, page
    order: Json = page["items"][0]
    return order


# --- placing an order: success ------------------------------------------------------

async def test_an_order_is_paid_at_catalog_prices_with_an_exact_total(
    api: Client, shop: ShopClient, ann: Account
) -> None:
    shirt = await shop.product(price="19.99", stock=10, name="Shirt")
    socks = await shop.product(price="0.10", stock=50, name="Socks")
    hat = await shop.product(price="33.33", stock=3, name="Hat")

    response = await shop.place(ann, order_body((shirt, 3), (socks, 7), (hat, 3)))

    assert response.status_code == 201, response.text
    order = response.json()
    assert set(order) == ORDER_FIELDS
    uuid.UUID(order["id"])
    assert order["status"] == "Paid"
    assert order["customer_id"] == ann.id
    assert order["currency"] == "USD"
    assert order["payment"]["status"] == "captured"
    assert order["payment"]["reference"]
    assert order["created_at"].endswith(("Z", "+00:00"))
    assert [set(line) for line in order["lines"]] == [LINE_FIELDS] * 3
    assert [(line["product_id"], line["product_name"], line["unit_price"], line["quantity"],
             line["line_total"]) for line in order["lines"]] == [
        (shirt["id"], "Shirt", "19.99", 3, "59.97"),
        (socks["id"], "Socks", "0.10", 7, "0.70"),
        (hat["id"], "Hat", "33.33", 3, "99.99"),
    ]
    assert order["total"] == "160.66"
    assert sum(Decimal(line["line_total"]) for line in order["lines"]) == Decimal("160.66")
    assert await shop.stocks(shirt, socks, hat) == [7, 43, 0]
    # The product view tells the same level as the inventory.
    product = await api.get(f"{PRODUCTS}/{hat['id']}")
    assert product.json()["stock"] == 0
    # The order reads back the same, by id and in the owner's list.
    assert await shop.order(ann, order["id"]) == order
    assert (await only_order(shop, ann)) == order


async def test_the_shipping_address_is_the_one_sent_or_else_the_profile_address(
    api: Client, shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=5)

    sent = await shop.place(ann, order_body((product, 1), shipping_address=ADDRESS))
    assert sent.status_code == 201, sent.text
    assert sent.json()["shipping_address"] == ADDRESS

    without = await shop.place(ann, order_body((product, 1)))
    assert without.status_code == 201, without.text
    assert without.json()["shipping_address"] is None  # the profile has no address yet

    home = {**ADDRESS, "line1": "2 Elm St", "line2": "Flat 3"}
    profile = await api.patch("/api/v1/customers/me", json={"shipping_address": home},
                                 headers=ann.headers)
    assert profile.status_code == 200, profile.text
    defaulted = await shop.place(ann, order_body((product, 1)))
    assert defaulted.status_code == 201, defaulted.text
    assert defaulted.json()["shipping_address"] == home
    assert await shop.stock(product) == 2


async def test_prices_are_captured_when_ordering_and_later_edits_do_not_change_orders(
    api: Client, shop: ShopClient, ann: Account, admin: Account
) -> None:
    product = await shop.product(price="12.50", stock=10, name="Mug")
    first = await shop.paid_order(ann, (product, 2))

    edit = await api.patch(f"{PRODUCTS}/{product['id']}", json={"price": "15.00",
                                                                    "name": "Big mug"},
                              headers=admin.headers)
    assert edit.status_code == 200, edit.text
    second = await shop.paid_order(ann, (product, 2))
    await shop.delete_product(product)

    again = await shop.order(ann, first["id"])
    assert (again["lines"][0]["product_name"], again["lines"][0]["unit_price"],
            again["total"]) == ("Mug", "12.50", "25.00")
    assert (second["lines"][0]["product_name"], second["total"]) == ("Big mug", "30.00")
    assert (await shop.order(ann, second["id"]))["total"] == "30.00"


async def test_a_price_sent_by_the_client_is_refused_not_used(
    shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(price="99.00", stock=5)
    body = order_body((product, 1))
    body["items"][0]["unit_price"] = "0.01"

    problem = assert_problem(await shop.place(ann, body), 400)

    assert problem["errors"]
    assert await shop.stock(product) == 5
    await assert_no_orders(shop)


async def test_the_limits_themselves_are_accepted_100_lines_and_1000_units(
    shop: ShopClient, ann: Account
) -> None:
    products = [await shop.product(price="0.01", stock=1) for _ in range(99)]
    bulk = await shop.product(price="1.00", stock=1000)

    order = await shop.paid_order(ann, *[(p, 1) for p in products], (bulk, 1000))

    assert len(order["lines"]) == 100
    assert order["total"] == "1000.99"
    assert await shop.stock(bulk) == 0
    assert set(await shop.stocks(*products[:5], products[-1])) == {0}


async def test_an_admin_can_place_an_order_too(shop: ShopClient, admin: Account) -> None:
    product = await shop.product(price="3.00", stock=2)

    order = await shop.paid_order(admin, (product, 2))

    assert order["customer_id"] == admin.id
    assert await shop.stock(product) == 0


# --- placing an order: payment failures ---------------------------------------------

@pytest.mark.parametrize(
    "token", ["tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds", "tok_unknown"])
async def test_a_declined_card_answers_402_keeps_the_order_cancelled_and_returns_the_stock(
    shop: ShopClient, ann: Account, token: str
) -> None:
    shirt = await shop.product(price="19.99", stock=4)
    socks = await shop.product(price="2.00", stock=9)

    response = await shop.place(ann, order_body((shirt, 4), (socks, 2), token=token))

    assert_problem(response, 402)
    assert await shop.stocks(shirt, socks) == [4, 9]
    order = await only_order(shop, ann)
    assert order["status"] == "Cancelled"
    assert order["payment"]["status"] == "declined"
    assert order["total"] == "83.96"
    assert (await shop.order(ann, order["id"]))["status"] == "Cancelled"
    # The units really are back on sale.
    await shop.paid_order(ann, (shirt, 4))
    assert await shop.stock(shirt) == 0


async def test_a_failing_payment_provider_answers_502_or_503_cancels_and_returns_the_stock(
    shop: ShopClient, ann: Account
) -> None:
    shirt = await shop.product(stock=3)
    socks = await shop.product(stock=5)

    response = await shop.place(ann, order_body((shirt, 3), (socks, 5),
                                                token="tok_processingError"))

    assert response.status_code in {502, 503}, response.text
    assert_problem(response, response.status_code)
    assert await shop.stocks(shirt, socks) == [3, 5]
    order = await only_order(shop, ann)
    assert (order["status"], order["payment"]["status"]) == ("Cancelled", "failed")
    assert order["payment"]["reference"] is None


# --- placing an order: stock and catalog refusals ------------------------------------

async def test_not_enough_stock_on_the_second_line_answers_409_and_moves_nothing(
    shop: ShopClient, ann: Account
) -> None:
    plenty = await shop.product(stock=10)
    scarce = await shop.product(stock=1)

    response = await shop.place(ann, order_body((plenty, 4), (scarce, 2)))

    assert_problem(response, 409)
    assert await shop.stocks(plenty, scarce) == [10, 1]
    await assert_no_orders(shop)
    # The exact remaining stock can still be ordered.
    await shop.paid_order(ann, (plenty, 10), (scarce, 1))
    assert await shop.stocks(plenty, scarce) == [0, 0]
    assert_problem(await shop.place(ann, order_body((plenty, 1))), 409)


async def test_an_unknown_product_answers_404_or_422_and_moves_nothing(
    shop: ShopClient, ann: Account
) -> None:
    known = await shop.product(stock=5)

    response = await shop.place(ann, order_body((known, 2), (str(uuid.uuid4()), 1)))

    assert response.status_code in {404, 422}, response.text
    assert_problem(response, response.status_code)
    assert await shop.stock(known) == 5
    await assert_no_orders(shop)


async def test_a_deleted_product_cannot_be_ordered(shop: ShopClient, ann: Account) -> None:
    kept = await shop.product(stock=5)
    gone = await shop.product(stock=5)
    await shop.delete_product(gone)

    response = await shop.place(ann, order_body((kept, 1), (gone, 1)))

    assert response.status_code in {404, 422}, response.text
    assert_problem(response, response.status_code)
    assert await shop.stock(kept) == 5
    await assert_no_orders(shop)


async def test_products_of_different_currencies_cannot_share_an_order(
    shop: ShopClient, ann: Account
) -> None:
    dollars = await shop.product(price="5.00", stock=5)
    euros = await shop.product(price="5.00", currency="EUR", stock=5)

    response = await shop.place(ann, order_body((dollars, 1), (euros, 1)))

    assert response.status_code in {400, 409, 422}, response.text
    assert_problem(response, response.status_code)
    assert await shop.stocks(dollars, euros) == [5, 5]
    await assert_no_orders(shop)


# --- placing an order: malformed bodies ------------------------------------------------

def _bad_bodies(p: str, q: str) -> dict[str, Any]:
    def items(*lines: Json) -> Json:
        return {"items": list(lines), "payment": card()}

    line = {"product_id": p, "quantity": 1}
    return {
        "quantity 0": items({"product_id": p, "quantity": 0}),
        "quantity 1001": items({"product_id": p, "quantity": 1001}),
        "negative quantity": items({"product_id": p, "quantity": -1}),
        "fractional quantity": items({"product_id": p, "quantity": 1.5}),
        "boolean quantity": items({"product_id": p, "quantity": True}),
        "null quantity": items({"product_id": p, "quantity": None}),
        "missing quantity": items({"product_id": p}),
        "product id not a uuid": items({"product_id": "abc", "quantity": 1}),
        "missing product id": items({"quantity": 1}),
        "duplicate product": items(line, {"product_id": q, "quantity": 1},
                                   {"product_id": p, "quantity": 2}),
        "empty items": items(),
        "101 lines": items(*({"product_id": str(uuid.uuid4()), "quantity": 1}
                             for _ in range(101))),
        "items not a list": {"items": line, "payment": card()},
        "missing items": {"payment": card()},
        "missing payment": {"items": [line]},
        "payment method not card": {"items": [line],
                                    "payment": {"method": "paypal", "token": "tok_visa"}},
        "empty card token": {"items": [line], "payment": card("")},
        "unknown top-level field total": {**items(line), "total": "0.01"},
        "read-only field status": {**items(line), "status": "Paid"},
        "read-only field customer_id": {**items(line), "customer_id": str(uuid.uuid4())},
        "read-only field id": {**items(line), "id": str(uuid.uuid4())},
        "unknown line field price": items({**line, "price": "0.01"}),
        "unknown payment field amount": {"items": [line],
                                         "payment": {**card(), "amount": "0.01"}},
        "bad address country": {**items(line),
                                "shipping_address": {**ADDRESS, "country": "USA"}},
        "unknown address field": {**items(line), "shipping_address": {**ADDRESS, "id": "x"}},
        "a list as body": [line],
    }


async def test_malformed_order_bodies_answer_400_or_422_and_move_nothing(
    shop: ShopClient, ann: Account
) -> None:
    p = await shop.product(stock=5)
    q = await shop.product(stock=5)

    for name, body in _bad_bodies(p["id"], q["id"]).items():
        response = await shop.client.post(ORDERS, json=body, headers=ann.headers)
        assert response.status_code in {400, 422}, f"{name}: {response.status_code} {response.text}"
        problem = assert_problem(response, response.status_code)
        assert problem.get("errors"), f"{name}: no `errors` in {problem}"

    not_json = await shop.client.post(ORDERS, content=b"{items: [", headers={
        **ann.headers, "Content-Type": "application/json"})
    assert_problem(not_json, 400)
    assert await shop.stocks(p, q) == [5, 5]
    await assert_no_orders(shop)


async def test_a_quantity_sent_as_a_string_is_refused(shop: ShopClient, ann: Account) -> None:
    product = await shop.product(stock=5)
    body = {"items": [{"product_id": product["id"], "quantity": "2"}], "payment": card()}

    response = await shop.client.post(ORDERS, json=body, headers=ann.headers)

    assert response.status_code in {400, 422}, response.text
    assert await shop.stock(product) == 5


# --- Idempotency-Key ------------------------------------------------------------------

async def test_the_same_idempotency_key_and_body_answer_the_same_order_once(
    shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(price="7.25", stock=10)
    body = order_body((product, 3))

    first = await shop.place(ann, body, idempotency_key="order-1")
    again = await shop.place(ann, body, idempotency_key="order-1")
    reordered = await shop.place(ann, {"payment": body["payment"],
                                       "items": [{"quantity": 3,
                                                  "product_id": product["id"]}]},
                                 idempotency_key="order-1")

    assert first.status_code == 201, first.text
    assert again.status_code in {200, 201}, again.text
    assert reordered.status_code in {200, 201}, reordered.text
    assert again.json() == first.json()
    assert reordered.json()["id"] == first.json()["id"]
    assert first.json()["total"] == "21.75"
    assert await shop.stock(product) == 7
    assert (await shop.orders(ann))["total"] == 1


async def test_the_same_idempotency_key_with_another_body_is_refused(
    shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=10)
    first = await shop.place(ann, order_body((product, 1)), idempotency_key="k")
    assert first.status_code == 201, first.text

    other = await shop.place(ann, order_body((product, 2)), idempotency_key="k")

    assert other.status_code in {409, 422}, other.text
    assert_problem(other, other.status_code)
    assert await shop.stock(product) == 9
    page = await shop.orders(ann)
    assert [o["id"] for o in page["items"]] == [first.json()["id"]]


async def test_idempotency_keys_belong_to_one_customer(
    shop: ShopClient, ann: Account, bob: Account
) -> None:
    product = await shop.product(stock=10)
    body = order_body((product, 1))

    anns = await shop.place(ann, body, idempotency_key="shared-key")
    bobs = await shop.place(bob, body, idempotency_key="shared-key")

    assert (anns.status_code, bobs.status_code) == (201, 201)
    assert anns.json()["id"] != bobs.json()["id"]
    assert bobs.json()["customer_id"] == bob.id
    assert await shop.stock(product) == 8


async def test_a_declined_order_replayed_with_its_key_is_declined_again_without_moving_stock(
    shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=2)
    body = order_body((product, 2), token="tok_chargeDeclined")

    assert_problem(await shop.place(ann, body, idempotency_key="declined"), 402)
    assert_problem(await shop.place(ann, body, idempotency_key="declined"), 402)

    assert await shop.stock(product) == 2
    assert (await only_order(shop, ann))["status"] == "Cancelled"


async def test_concurrent_retries_with_one_key_make_one_order(live_api: httpx.AsyncClient) -> None:
    shop = ShopClient(live_api)
    ann = await shop.customer("ann")
    product = await shop.product(stock=10)
    body = order_body((product, 2))

    answers = await asyncio.gather(*(shop.place(ann, body, idempotency_key="burst")
                                     for _ in range(8)))

    assert {a.status_code for a in answers} <= {200, 201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert {a.json()["status"] for a in answers} == {"Paid"}
    assert await shop.stock(product) == 8
    assert (await shop.orders(ann))["total"] == 1


async def test_concurrent_orders_in_one_process_never_oversell(
    live_api: httpx.AsyncClient,
) -> None:
    shop = ShopClient(live_api)
    customers = [await shop.customer(f"buyer{i}") for i in range(3)]
    scarce = await shop.product(stock=5)
    plenty = await shop.product(stock=100)

    answers = await asyncio.gather(*(
        shop.place(customers[i % 3], order_body((plenty, 1), (scarce, 1))) for i in range(15)))

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 5 + [409] * 10, [a.text for a in answers if a.status_code != 201]
    assert await shop.stocks(scarce, plenty) == [0, 95]
    paid = await shop.orders(await shop.admin(), status="Paid")
    assert paid["total"] == 5
    assert (await shop.orders(await shop.admin()))["total"] == 5


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_an_idempotency_key_must_be_1_to_255_characters(
    shop: ShopClient, ann: Account, key: str
) -> None:
    product = await shop.product(stock=3)

    response = await shop.place(ann, order_body((product, 1)), idempotency_key=key)

    assert response.status_code in {400, 422}, response.text
    assert_problem(response, response.status_code)
    assert await shop.stock(product) == 3
    await assert_no_orders(shop)


async def test_a_255_character_idempotency_key_is_accepted(
    shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=3)
    key = "k" * 255

    first = await shop.place(ann, order_body((product, 1)), idempotency_key=key)
    again = await shop.place(ann, order_body((product, 1)), idempotency_key=key)

    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert await shop.stock(product) == 2


# --- reading orders: ownership, lists, filters ----------------------------------------

async def test_a_customer_reads_only_their_own_orders_newest_first(
    api: Client, shop: ShopClient, ann: Account, bob: Account
) -> None:
    product = await shop.product(stock=10)
    anns = [await shop.paid_order(ann, (product, 1)) for _ in range(3)]
    bobs = await shop.paid_order(bob, (product, 1))

    page = await shop.orders(ann)
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    assert [o["id"] for o in page["items"]] == [o["id"] for o in reversed(anns)]
    created = [o["created_at"] for o in page["items"]]
    assert created == sorted(created, reverse=True)

    # Another customer's order does not exist for Ann, whatever she tries.
    foreign = await api.get(f"{ORDERS}/{bobs['id']}", headers=ann.headers)
    assert_problem(foreign, 404)
    filtered = await shop.orders(ann, customer_id=bob.id)
    assert {o["customer_id"] for o in filtered["items"]} == {ann.id}
    assert filtered["total"] == 3
    assert [o["id"] for o in (await shop.orders(bob))["items"]] == [bobs["id"]]
    assert await shop.stock(product) == 6


async def test_lists_are_paged(shop: ShopClient, ann: Account) -> None:
    product = await shop.product(stock=10)
    placed = [await shop.paid_order(ann, (product, 1)) for _ in range(3)]

    page = await shop.orders(ann, limit=2, offset=1)

    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [o["id"] for o in page["items"]] == [placed[1]["id"], placed[0]["id"]]
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        response = await shop.client.get(ORDERS, params=params, headers=ann.headers)
        assert_problem(response, 400)


async def test_an_admin_sees_every_order_and_filters_by_customer_and_status(
    api: Client, shop: ShopClient, admin: Account, ann: Account, bob: Account
) -> None:
    product = await shop.product(stock=10)
    first = await shop.paid_order(ann, (product, 1))
    second = await shop.paid_order(bob, (product, 1))
    third = await shop.paid_order(ann, (product, 1))
    cancelled = await api.post(f"{ORDERS}/{first['id']}/cancel", headers=ann.headers)
    assert cancelled.status_code == 200, cancelled.text

    everything = await shop.orders(admin)
    assert everything["total"] == 3
    assert [o["id"] for o in everything["items"]] == [third["id"], second["id"], first["id"]]
    assert [o["id"] for o in (await shop.orders(admin, customer_id=ann.id))["items"]] == [
        third["id"], first["id"]]
    assert [o["id"] for o in (await shop.orders(admin, status="Paid"))["items"]] == [
        third["id"], second["id"]]
    assert [o["id"] for o in (await shop.orders(admin, status="Cancelled",
                                                customer_id=ann.id))["items"]] == [first["id"]]
    assert (await shop.orders(admin, status="Shipped"))["total"] == 0
    assert (await shop.order(admin, second["id"]))["customer_id"] == bob.id
    bad_status = await api.get(ORDERS, params={"status": "Lost"}, headers=admin.headers)
    assert_problem(bad_status, 400)
    bad_customer = await api.get(ORDERS, params={"customer_id": "x"}, headers=admin.headers)
    assert_problem(bad_customer, 400)
    assert await shop.stock(product) == 8


async def test_an_unknown_order_answers_404(api: Client, admin: Account, ann: Account) -> None:
    missing = uuid.uuid4()
    for account in (admin, ann):
        assert_problem(await api.get(f"{ORDERS}/{missing}", headers=account.headers), 404)
        assert_problem(await api.post(f"{ORDERS}/{missing}/cancel",
                                         headers=account.headers), 404)
    assert_problem(await api.post(f"{ORDERS}/{missing}/ship", headers=admin.headers), 404)
    not_an_id = await api.get(f"{ORDERS}/not-a-uuid", headers=ann.headers)
    assert not_an_id.status_code in {400, 404}, not_an_id.text


async def test_every_order_route_needs_a_valid_token(
    api: Client, shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=4)
    order = await shop.paid_order(ann, (product, 1))
    forged = bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")

    for headers in ({}, forged, {"Authorization": "Basic YTpi"}):
        calls = [
            api.post(ORDERS, json=order_body((product, 1)), headers=headers),
            api.get(ORDERS, headers=headers),
            api.get(f"{ORDERS}/{order['id']}", headers=headers),
            api.post(f"{ORDERS}/{order['id']}/ship", headers=headers),
            api.post(f"{ORDERS}/{order['id']}/cancel", headers=headers),
        ]
        for response in [await call for call in calls]:
            assert_problem(response, 401)
    assert await shop.stock(product) == 3
    assert (await shop.order(ann, order["id"]))["status"] == "Paid"


# --- shipping ----------------------------------------------------------------------

async def test_an_admin_ships_a_paid_order_once(
    api: Client, shop: ShopClient, admin: Account, ann: Account
) -> None:
    product = await shop.product(stock=5)
    order = await shop.paid_order(ann, (product, 2))

    shipped = await api.post(f"{ORDERS}/{order['id']}/ship", headers=admin.headers)

    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert set(body) == ORDER_FIELDS
    assert (body["id"], body["status"], body["total"]) == (order["id"], "Shipped", order["total"])
    assert body["payment"]["status"] == "captured"
    assert body["updated_at"] >= order["updated_at"]
    assert (await shop.order(ann, order["id"]))["status"] == "Shipped"
    assert_problem(await api.post(f"{ORDERS}/{order['id']}/ship", headers=admin.headers), 409)
    assert await shop.stock(product) == 3


async def test_only_paid_orders_can_be_shipped(
    api: Client, shop: ShopClient, admin: Account, ann: Account
) -> None:
    product = await shop.product(stock=5)
    order = await shop.paid_order(ann, (product, 2))
    assert (await api.post(f"{ORDERS}/{order['id']}/cancel",
                              headers=ann.headers)).status_code == 200

    assert_problem(await api.post(f"{ORDERS}/{order['id']}/ship", headers=admin.headers), 409)

    assert (await shop.order(ann, order["id"]))["status"] == "Cancelled"
    assert await shop.stock(product) == 5


async def test_a_customer_cannot_ship_even_their_own_order(
    api: Client, shop: ShopClient, ann: Account
) -> None:
    product = await shop.product(stock=5)
    order = await shop.paid_order(ann, (product, 1))

    assert_problem(await api.post(f"{ORDERS}/{order['id']}/ship", headers=ann.headers), 403)

    assert (await shop.order(ann, order["id"]))["status"] == "Paid"
    assert await shop.stock(product) == 4


# --- cancelling ----------------------------------------------------------------------

async def test_the_owner_cancels_a_paid_order_stock_comes_back_and_the_payment_is_refunded(
    api: Client, shop: ShopClient, ann: Account
) -> None:
    shirt = await shop.product(stock=5)
    socks = await shop.product(stock=8)
    order = await shop.paid_order(ann, (shirt, 5), (socks, 3))
    assert await shop.stocks(shirt, socks) == [0, 5]

    cancelled = await api.post(f"{ORDERS}/{order['id']}/cancel", headers=ann.headers)

    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert set(body) == ORDER_FIELDS
    assert (body["id"], body["status"]) == (order["id"], "Cancelled")
    assert body["payment"]["status"] == "refunded"
    assert body["payment"]["reference"] == order["payment"]["reference"]
    assert body["total"] == order["total"]
    assert await shop.stocks(shirt, socks) == [5, 8]
    assert (await shop.order(ann, order["id"]))["payment"]["status"] == "refunded"
    # Cancelling again is refused and returns nothing twice.
    assert_problem(await api.post(f"{ORDERS}/{order['id']}/cancel", headers=ann.headers), 409)
    assert await shop.stocks(shirt, socks) == [5, 8]


async def test_an_admin_cancels_a_customers_order(
    api: Client, shop: ShopClient, admin: Account, ann: Account
) -> None:
    product = await shop.product(stock=3)
    order = await shop.paid_order(ann, (product, 3))

    cancelled = await api.post(f"{ORDERS}/{order['id']}/cancel", headers=admin.headers)

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["payment"]["status"]) == (
        "Cancelled", "refunded")
    assert await shop.stock(product) == 3


async def test_a_shipped_order_cannot_be_cancelled(
    api: Client, shop: ShopClient, admin: Account, ann: Account
) -> None:
    product = await shop.product(stock=3)
    order = await shop.paid_order(ann, (product, 2))
    assert (await api.post(f"{ORDERS}/{order['id']}/ship",
                              headers=admin.headers)).status_code == 200

    for account in (ann, admin):
        assert_problem(await api.post(f"{ORDERS}/{order['id']}/cancel",
                                         headers=account.headers), 409)

    after = await shop.order(ann, order["id"])
    assert (after["status"], after["payment"]["status"]) == ("Shipped", "captured")
    assert await shop.stock(product) == 1


async def test_a_customer_cannot_cancel_another_customers_order(
    api: Client, shop: ShopClient, ann: Account, bob: Account
) -> None:
    product = await shop.product(stock=3)
    order = await shop.paid_order(ann, (product, 2))

    assert_problem(await api.post(f"{ORDERS}/{order['id']}/cancel", headers=bob.headers), 404)

    assert (await shop.order(ann, order["id"]))["status"] == "Paid"
    assert await shop.stock(product) == 1


# --- a provider that does not answer: the order stays Pending ------------------------

class OutageProvider:
    """The built-in fake processor behind a link that can go down: while it is down, the
    processor can neither charge nor say whether it charged (as on a network partition)."""

    def __init__(self) -> None:
        self.inner = FakePaymentGateway(InMemoryChargeStore(), InMemoryChargeStore())
        self.down = True

    def _check(self) -> None:
        if self.down:
            raise PaymentUnavailable("the provider timed out")

    async def charge(self, *, idempotency_key: str, amount: Money, token: str) -> Charge:
        self._check()
        return await self.inner.charge(idempotency_key=idempotency_key, amount=amount,
                                       token=token)

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        self._check()
        return await self.inner.find_charge(idempotency_key)

    async def refund(self, *, idempotency_key: str, charge: Charge, amount: Money) -> None:
        self._check()
        await self.inner.refund(idempotency_key=idempotency_key, charge=charge, amount=amount)


@pytest.fixture
def outage_provider() -> OutageProvider:
    return OutageProvider()


@pytest.fixture
async def outage_api(settings: Settings, outage_provider: OutageProvider
                     ) -> AsyncIterator[Client]:
    runtime = cheap_runtime(settings, payment_gateway=outage_provider)
    async with serving(create_app(runtime=runtime)) as test_client:
        yield test_client


async def test_an_unknown_payment_outcome_keeps_the_order_pending_until_it_is_known(
    outage_api: Client, outage_provider: OutageProvider
) -> None:
    shop = ShopClient(outage_api)
    admin, ann = await shop.admin(), await shop.customer("ann")
    product = await shop.product(stock=5)

    response = await shop.place(ann, order_body((product, 2)))

    assert response.status_code in {502, 503}, response.text
    assert_problem(response, response.status_code)
    pending = await only_order(shop, ann)
    assert (pending["status"], pending["payment"]["status"]) == ("Pending", "pending")
    assert await shop.stock(product) == 3  # held until the outcome is known
    cancel = f"{ORDERS}/{pending['id']}/cancel"
    assert_problem(await outage_api.post(f"{ORDERS}/{pending['id']}/ship",
                                         headers=admin.headers), 409)
    # While the provider cannot say whether it charged, a cancel either waits for it
    # (502/503, nothing changes) or cancels outright (stock back).
    during = await outage_api.post(cancel, headers=ann.headers)
    if during.status_code in {502, 503}:
        assert_problem(during, during.status_code)
        assert (await shop.order(ann, pending["id"]))["status"] == "Pending"
        assert await shop.stock(product) == 3
    else:
        assert during.status_code == 200, during.text
        assert await shop.stock(product) == 5

    outage_provider.down = False
    after = await outage_api.post(cancel, headers=ann.headers)

    if during.status_code == 200:
        assert_problem(after, 409)
    else:
        assert after.status_code == 200, after.text
        assert after.json()["status"] == "Cancelled"
        assert after.json()["payment"]["status"] != "captured"  # nothing was ever charged
    assert (await shop.order(ann, pending["id"]))["status"] == "Cancelled"
    assert await shop.stock(product) == 5
    assert_problem(await outage_api.post(cancel, headers=ann.headers), 409)
    assert await shop.stock(product) == 5


# --- cancelled while the card is being charged --------------------------------------

class GatedProvider:
    """The built-in fake processor, except that a charge waits until the gate opens."""

    def __init__(self) -> None:
        self.inner = FakePaymentGateway(InMemoryChargeStore(), InMemoryChargeStore())
        self.charging = asyncio.Event()
        self.gate = asyncio.Event()
        self.refunds: list[str] = []

    async def charge(self, *, idempotency_key: str, amount: Money, token: str) -> Charge:
        self.charging.set()
        await self.gate.wait()
        return await self.inner.charge(idempotency_key=idempotency_key, amount=amount,
                                       token=token)

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        return await self.inner.find_charge(idempotency_key)

    async def refund(self, *, idempotency_key: str, charge: Charge, amount: Money) -> None:
        self.refunds.append(charge.reference)
        await self.inner.refund(idempotency_key=idempotency_key, charge=charge, amount=amount)


@pytest.fixture
def gated_provider() -> GatedProvider:
    return GatedProvider()


@pytest.fixture
async def gated_api(settings: Settings,
                    gated_provider: GatedProvider) -> AsyncIterator[httpx.AsyncClient]:
    runtime = cheap_runtime(settings, payment_gateway=gated_provider)
    async with serving_in_loop(runtime) as http:
        yield http


async def cancel_while_charging(api: httpx.AsyncClient,
                                provider: GatedProvider) -> tuple[Json, Json]:
    """Place an order, cancel it while its charge is in flight, then let the charge succeed."""
    shop = ShopClient(api)
    ann = await shop.customer("ann")
    product = await shop.product(price="4.00", stock=5)
    placing = asyncio.create_task(shop.place(ann, order_body((product, 2))))
    await asyncio.wait_for(provider.charging.wait(), 10)
    pending = await only_order(shop, ann)
    assert pending["status"] == "Pending"
    assert await shop.stock(product) == 3

    cancelled = await api.post(f"{ORDERS}/{pending['id']}/cancel", headers=ann.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "Cancelled"
    assert await shop.stock(product) == 5
    provider.gate.set()
    placed = await asyncio.wait_for(placing, 10)

    # The placement tells the truth: a conflict, or the order as it now stands (Cancelled).
    assert placed.status_code in {201, 409}, placed.text
    if placed.status_code == 201:
        assert (placed.json()["id"], placed.json()["status"]) == (pending["id"], "Cancelled")
    assert await shop.stock(product) == 5
    final = await shop.order(ann, pending["id"])
    assert final["status"] == "Cancelled"
    return placed.json(), final


async def test_an_order_cancelled_while_its_card_is_charged_stays_cancelled_and_is_refunded(
    gated_api: httpx.AsyncClient, gated_provider: GatedProvider
) -> None:
    await cancel_while_charging(gated_api, gated_provider)

    assert len(gated_provider.refunds) == 1  # the money taken after the cancel went back


async def test_an_order_cancelled_while_its_card_is_charged_says_its_payment_was_refunded(
    gated_api: httpx.AsyncClient, gated_provider: GatedProvider
) -> None:
    _, final = await cancel_while_charging(gated_api, gated_provider)

    assert final["payment"]["status"] == "refunded"
    assert final["payment"]["reference"] == gated_provider.refunds[0]
