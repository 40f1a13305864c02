"""A cached view's or page's JSON is encoded once per object, and never outlives or outruns it."""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from litestar.response.base import ASGIResponse

from shop.application.catalog.views import ProductView
from shop.application.paging import PageOf
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.products import ProductResponse
from shop.interfaces.http.encoded_bodies import EncodedBodies, PreparedResponse

CATEGORY = uuid.uuid4()
WRITTEN = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)


def product(name: str, price: str = "9.50") -> ProductView:
    return ProductView(id=uuid.uuid4(), name=name, description="", price=Decimal(price),
                       currency="USD", category_id=CATEGORY, stock=3, sku=None,
                       created_at=WRITTEN, updated_at=WRITTEN, product_version=1,
                       stock_version=1)


def page_of(*items: ProductView) -> PageOf[ProductView]:
    return PageOf(items=list(items), total=len(items), limit=20, offset=0)


def pages(present: Callable[[ProductView], ProductResponse] = ProductResponse.from_view
          ) -> EncodedBodies[PageOf[ProductView], PageResponse[ProductResponse]]:
    """Bodies of list pages, as the product list route keeps them."""
    return EncodedBodies(lambda page: page_response(page, present))


class CountingPresenter:
    def __init__(self) -> None:
        self.presented = 0

    def __call__(self, view: ProductView) -> ProductResponse:
        self.presented += 1
        return ProductResponse.from_view(view)


def test_the_body_is_the_list_envelope_with_money_as_text() -> None:
    boot = product("Boot", price="12.5")
    body = json.loads(pages().body(page_of(boot)))

    assert body == {"items": [{
        "id": str(boot.id), "name": "Boot", "description": "", "price": "12.50",
        "currency": "USD", "category_id": str(CATEGORY), "stock": 3, "sku": None,
        "created_at": "2026-12-04T18:30:00Z", "updated_at": "2026-12-04T18:30:00Z",
    }], "total": 1, "limit": 20, "offset": 0}


def test_a_page_served_again_from_the_cache_is_encoded_only_once() -> None:
    presenter = CountingPresenter()
    bodies = pages(presenter)
    cached = page_of(product("Boot"), product("Clog"))

    first, second = bodies.body(cached), bodies.body(cached)

    assert first == second
    assert presenter.presented == 2  # each item once, for both requests


def test_a_page_read_anew_after_a_write_is_encoded_anew_though_an_older_one_is_kept() -> None:
    bodies = pages()
    boot = product("Boot")
    before = page_of(boot)
    assert json.loads(bodies.body(before))["items"][0]["name"] == "Boot"

    after = page_of(replace(boot, name="Riding boot", product_version=2))

    assert json.loads(bodies.body(after))["items"][0]["name"] == "Riding boot"
    assert json.loads(bodies.body(before))["items"][0]["name"] == "Boot"  # each page its own


def test_an_equal_but_distinct_page_is_never_answered_from_another_pages_body() -> None:
    presenter = CountingPresenter()
    bodies = pages(presenter)
    boot = product("Boot")

    bodies.body(page_of(boot))
    bodies.body(page_of(boot))

    assert presenter.presented == 2  # identity, not equality: a fresh read is encoded


def test_a_body_is_dropped_when_its_page_is_dropped() -> None:
    bodies = pages()
    cached = page_of(product("Boot"))
    bodies.body(cached)
    assert len(bodies) == 1

    del cached
    gc.collect()

    assert len(bodies) == 0


def test_a_product_served_again_from_the_near_cache_is_encoded_only_once() -> None:
    presenter = CountingPresenter()
    bodies = EncodedBodies(presenter)
    boot = product("Boot", price="12.5")

    first, second = bodies.body(boot), bodies.body(boot)

    assert first == second
    assert json.loads(first)["price"] == "12.50"
    assert presenter.presented == 1


def test_a_product_read_anew_after_a_write_is_answered_with_its_new_body() -> None:
    bodies = EncodedBodies(ProductResponse.from_view)
    boot = product("Boot")
    bodies.body(boot)

    renamed = replace(boot, name="Riding boot", product_version=2)

    assert json.loads(bodies.body(renamed))["name"] == "Riding boot"


class SentMessages:
    """An ASGI `send` that keeps what it was sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, object]] = []

    async def __call__(self, message: dict[str, object]) -> None:
        self.messages.append(message)


async def sent_headers(answer: ASGIResponse) -> list[tuple[bytes, bytes]]:
    send = SentMessages()
    await answer({"type": "http"}, receive_nothing, send)  # type: ignore[arg-type]
    start = send.messages[0]
    assert start["type"] == "http.response.start"
    return start["headers"]  # type: ignore[return-value]


async def receive_nothing() -> dict[str, object]:
    raise AssertionError("a response does not read the request")


ROUTE_SETTINGS: dict[str, object] = {"headers": {}, "cookies": [], "status_code": 200,
                                     "media_type": "application/json"}


def as_route_answers(response: PreparedResponse[object]) -> ASGIResponse:
    """What Litestar's response handler does with a route's `Response`, on every request."""
    return response.to_asgi_response(None, None, **ROUTE_SETTINGS)  # type: ignore[arg-type]


def test_a_cached_product_is_answered_by_the_same_asgi_response_on_every_request() -> None:
    bodies = EncodedBodies(ProductResponse.from_view)
    boot = product("Boot")

    first = as_route_answers(bodies.response(boot))
    second = as_route_answers(bodies.response(boot))

    assert first is second
    assert first.body == bodies.body(boot)
    assert dict(first.headers)["content-length"] == str(len(first.body))


async def test_headers_added_to_one_answer_never_reach_the_next() -> None:
    answer = as_route_answers(EncodedBodies(ProductResponse.from_view).response(product("Boot")))

    first = await sent_headers(answer)
    first.append((b"x-request-id", b"one"))  # as the middleware does to what is sent
    second = await sent_headers(answer)

    assert (b"x-request-id", b"one") not in second
    assert [name for name, _ in second].count(b"content-type") == 1


def test_other_route_settings_get_an_answer_of_their_own() -> None:
    response = EncodedBodies(ProductResponse.from_view).response(product("Boot"))
    ok = as_route_answers(response)

    created = response.to_asgi_response(None, None, **{**ROUTE_SETTINGS,  # type: ignore[arg-type]
                                                       "status_code": 201})

    assert created is not ok
    assert (ok.status_code, created.status_code) == (200, 201)
