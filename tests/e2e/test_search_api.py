"""GET /api/v1/products/search through the real app, with the bundled embedding model."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from shop.bootstrap import ShopRuntime
from shop.settings import Settings
from tests.e2e.helpers import Json, assert_problem
from tests.e2e.shop_client import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    bearer,
    cheap_runtime,
    serving_in_loop,
)
from tests.e2e.shop_client import with_accounts as with_admin

SEARCH = "/api/v1/products/search"


class Shop:
    def __init__(self, client: httpx.AsyncClient, runtime: ShopRuntime) -> None:
        self.client = client
        self.runtime = runtime
        self._category: str | None = None

    async def product(self, name: str, description: str = "", price: str = "100.00") -> Json:
        if self._category is None:
            response = await self.client.post("/api/v1/categories", json={"name": "Home"})
            self._category = response.json()["id"]
        response = await self.client.post("/api/v1/products", json={
            "name": name, "description": description, "price": price,
            "category_id": self._category, "stock": 4})
        assert response.status_code == 201, response.text
        product: Json = response.json()
        await self.embedded(product)
        return product

    async def embedded(self, product: Json) -> None:
        indexer = self.runtime.container.product_embedding_indexer()
        await indexer.refresh(uuid.UUID(product["id"]))

    async def search(self, q: str, **params: object) -> Json:
        response = await self.client.get(SEARCH, params={"q": q, **params})
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body


def names(body: Json) -> list[str]:
    return [item["product"]["name"] for item in body["items"]]


@asynccontextmanager
async def stocked_shop(settings: Settings) -> AsyncIterator[Shop]:
    runtime = cheap_runtime(with_admin(settings))
    async with serving_in_loop(runtime) as client:
        token_response = await client.post("/api/v1/auth/token", json={
            "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        client.headers.update(bearer(token_response.json()["access_token"]))
        shop = Shop(client, runtime)
        await shop.product("Chesterfield couch", "Three-seat living room couch in green velvet")
        await shop.product("Garden hose", "Thirty metres, with a spray nozzle")
        await shop.product("Espresso machine", "Fifteen bar pump, steam wand for milk")
        yield shop


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    """On both profiles: the production one serves catalog lists from the near cache, which
    must not stand between the search and the product views it reads."""
    async with stocked_shop(settings) as shop:
        yield shop


@pytest.fixture
async def embedded_shop(sqlite_settings: Settings) -> AsyncIterator[Shop]:
    """The embedded profile, whose consumers run inside the app (with Redis: `shop worker`)."""
    async with stocked_shop(sqlite_settings) as shop:
        yield shop


async def test_sofa_finds_the_couch_semantically_where_keywords_find_nothing(shop: Shop) -> None:
    keyword = await shop.search("sofa", mode="keyword")
    semantic = await shop.search("sofa", mode="semantic")
    assert keyword == {"items": [], "mode": "keyword"}
    assert semantic["mode"] == "semantic"
    assert names(semantic)[0] == "Chesterfield couch"
    assert semantic["items"][0]["score"] > semantic["items"][1]["score"]


async def test_hybrid_is_the_default_and_answers_products_with_scores(shop: Shop) -> None:
    body = await shop.search("coffee maker", limit=2)
    assert body["mode"] == "hybrid"
    assert names(body)[0] == "Espresso machine"
    assert len(body["items"]) == 2
    product = body["items"][0]["product"]
    assert set(product) >= {"id", "name", "price", "currency", "stock", "category_id"}
    assert isinstance(body["items"][0]["score"], float)


async def test_a_typo_still_finds_the_product(shop: Shop) -> None:
    assert names(await shop.search("espreso machin"))[0] == "Espresso machine"


async def test_a_deleted_product_disappears_from_every_mode_at_once(shop: Shop) -> None:
    hose = next(item["product"] for item in (await shop.search("hose"))["items"]
                if item["product"]["name"] == "Garden hose")
    response = await shop.client.delete(f"/api/v1/products/{hose['id']}")
    assert response.status_code == 204
    for mode in ("keyword", "semantic", "hybrid"):
        assert "Garden hose" not in names(await shop.search("garden hose", mode=mode))


async def test_price_filters_narrow_every_mode(shop: Shop) -> None:
    await shop.product("Budget couch", "A small two-seat couch", price="49.00")
    for mode in ("keyword", "semantic", "hybrid"):
        body = await shop.search("couch", mode=mode, max_price="50.00")
        assert names(body) == ["Budget couch"]


async def test_a_category_filter_narrows_every_mode_to_that_category(shop: Shop) -> None:
    kitchen = (await shop.client.post("/api/v1/categories", json={"name": "Kitchen"})).json()
    pan = (await shop.client.post("/api/v1/products", json={
        "name": "Frying pan couch", "price": "20.00", "category_id": kitchen["id"],
        "stock": 1})).json()
    await shop.embedded(pan)
    for mode in ("keyword", "semantic", "hybrid"):
        body = await shop.search("couch", mode=mode, category_id=kitchen["id"])
        assert names(body) == ["Frying pan couch"], mode


async def test_search_is_not_taken_for_a_product_id_and_refuses_bad_parameters(
    shop: Shop,
) -> None:
    for params in ({}, {"q": ""}, {"q": "sofa", "mode": "psychic"}, {"q": "sofa", "limit": 0},
                   {"q": "sofa", "max_price": "cheap"}):
        assert_problem(await shop.client.get(SEARCH, params=params), 400)
    assert_problem(await shop.client.get(f"/api/v1/products/{uuid.uuid4()}"), 404)


async def test_with_ai_switched_off_search_answers_a_503_problem(sqlite_settings: Settings) -> None:
    runtime = cheap_runtime(sqlite_settings.with_overrides(ai_enabled=False))
    async with serving_in_loop(runtime) as client:
        body = assert_problem(await client.get(SEARCH, params={"q": "sofa"}), 503)
    assert "SHOP_AI_ENABLED" in body["detail"]


SUGGEST = "/api/v1/products/category-suggestions"


async def test_an_admin_gets_the_fitting_categories_for_a_new_product(shop: Shop) -> None:
    kitchen = (await shop.client.post("/api/v1/categories", json={"name": "Kitchen"})).json()
    garden = (await shop.client.post("/api/v1/categories", json={"name": "Garden"})).json()
    for name, category in (("Stainless steel saucepan", kitchen), ("Chef's knife", kitchen),
                           ("Lawn mower", garden), ("Watering can", garden)):
        product = (await shop.client.post("/api/v1/products", json={
            "name": name, "price": "20.00", "category_id": category["id"], "stock": 1})).json()
        await shop.embedded(product)
    response = await shop.client.post(SUGGEST, json={"name": "Non-stick frying pan",
                                                     "description": "For eggs and pancakes"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["category"]["name"] == "Kitchen"
    assert [item["score"] for item in items] == sorted((i["score"] for i in items), reverse=True)
    assert set(items[0]["category"]) == {"id", "name", "parent_id", "created_at"}


async def test_category_suggestions_are_for_admins_and_take_a_strict_body(shop: Shop) -> None:
    assert_problem(await shop.client.post(SUGGEST, json={"description": "no name"}), 400)
    assert_problem(await shop.client.post(SUGGEST, json={"name": "x", "price": "1.00"}), 400)
    anonymous = {"Authorization": ""}
    assert_problem(await shop.client.post(SUGGEST, json={"name": "x"}, headers=anonymous), 401)


async def test_a_product_created_through_the_api_is_embedded_by_the_consumer_runtime(
    embedded_shop: Shop,
) -> None:
    shop = embedded_shop
    """No manual indexing: the embedded runtime feeds the indexer from the outbox."""
    response = await shop.client.post("/api/v1/products", json={
        "name": "Hammock", "description": "Hangs between two trees in the garden",
        "price": "60.00", "category_id": shop._category, "stock": 2})
    assert response.status_code == 201, response.text
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = names(await shop.search("a hanging bed for the garden", mode="semantic",
                                        limit=1))
        if found == ["Hammock"] or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert found == ["Hammock"]
