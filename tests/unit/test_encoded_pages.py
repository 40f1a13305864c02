"""A list page's JSON body is encoded once per page object, and never outlives or outruns it."""

from __future__ import annotations

import gc
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from shop.application.catalog.views import ProductView
from shop.application.paging import PageOf
from shop.interfaces.http.dto.products import ProductResponse
from shop.interfaces.http.encoded_pages import EncodedPages

CATEGORY = uuid.uuid4()
WRITTEN = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)


def product(name: str, price: str = "9.50") -> ProductView:
    return ProductView(id=uuid.uuid4(), name=name, description="", price=Decimal(price),
                       currency="USD", category_id=CATEGORY, stock=3, sku=None,
                       created_at=WRITTEN, updated_at=WRITTEN, product_version=1,
                       stock_version=1)


def page_of(*items: ProductView) -> PageOf[ProductView]:
    return PageOf(items=list(items), total=len(items), limit=20, offset=0)


class CountingPresenter:
    def __init__(self) -> None:
        self.presented = 0

    def __call__(self, view: ProductView) -> ProductResponse:
        self.presented += 1
        return ProductResponse.from_view(view)


def test_the_body_is_the_list_envelope_with_money_as_text() -> None:
    boot = product("Boot", price="12.5")
    body = json.loads(EncodedPages(ProductResponse.from_view).body(page_of(boot)))

    assert body == {"items": [{
        "id": str(boot.id), "name": "Boot", "description": "", "price": "12.50",
        "currency": "USD", "category_id": str(CATEGORY), "stock": 3, "sku": None,
        "created_at": "2026-12-04T18:30:00Z", "updated_at": "2026-12-04T18:30:00Z",
    }], "total": 1, "limit": 20, "offset": 0}


def test_a_page_served_again_from_the_cache_is_encoded_only_once() -> None:
    presenter = CountingPresenter()
    pages = EncodedPages(presenter)
    cached = page_of(product("Boot"), product("Clog"))

    first, second = pages.body(cached), pages.body(cached)

    assert first == second
    assert presenter.presented == 2  # each item once, for both requests


def test_a_page_read_anew_after_a_write_is_encoded_anew_though_an_older_one_is_kept() -> None:
    pages = EncodedPages(ProductResponse.from_view)
    boot = product("Boot")
    before = page_of(boot)
    assert json.loads(pages.body(before))["items"][0]["name"] == "Boot"

    after = page_of(replace(boot, name="Riding boot", product_version=2))

    assert json.loads(pages.body(after))["items"][0]["name"] == "Riding boot"
    assert json.loads(pages.body(before))["items"][0]["name"] == "Boot"  # each page its own


def test_an_equal_but_distinct_page_is_never_answered_from_another_pages_body() -> None:
    presenter = CountingPresenter()
    pages = EncodedPages(presenter)
    boot = product("Boot")

    pages.body(page_of(boot))
    pages.body(page_of(boot))

    assert presenter.presented == 2  # identity, not equality: a fresh read is encoded


def test_a_body_is_dropped_when_its_page_is_dropped() -> None:
    pages = EncodedPages(ProductResponse.from_view)
    cached = page_of(product("Boot"))
    pages.body(cached)
    assert len(pages) == 1

    del cached
    gc.collect()

    assert len(pages) == 0
