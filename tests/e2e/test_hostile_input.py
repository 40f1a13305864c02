"""Input a careless client or an attacker sends, generated: every answer is a 4xx, nothing changes.

Runs on the embedded profile and on PostgreSQL + Redis, since the classes of
bad input here (integers beyond 64 bits, NUL characters and lone surrogates,
bytes that are not UTF-8) used to be refused by some backends and stored or
crashed on by others. The client fails the test on any 500.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.shop_client import ADMIN_EMAIL, ADMIN_PASSWORD, cheap_runtime, with_accounts

EXAMPLES = hypothesis_settings(max_examples=25, deadline=None,
                               suppress_health_check=[HealthCheck.function_scoped_fixture])

huge_integers = st.one_of(
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**63) - 1),
)
"""Integers no 64-bit column holds."""
unstorable_text = st.tuples(st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "\udfff"]),
                            st.text(max_size=20)).map("".join)
not_utf8 = st.binary(min_size=1, max_size=60).filter(lambda b: not _decodes(b))


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgres_redis",
                                                marks=[pytest.mark.postgres, pytest.mark.redis])])
def settings(request: pytest.FixtureRequest) -> Settings:
    chosen: Settings = request.getfixturevalue(f"{request.param}_settings")
    return with_accounts(chosen)


class Api:
    """A synchronous client (Hypothesis drives plain functions) that refuses any 500."""

    def __init__(self, client: TestClient[Litestar]) -> None:
        self.client = client
        token = client.post("/api/v1/auth/token",
                            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        self.admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.category = self.created("/api/v1/categories", {"name": "Hostile"})
        self.product = self.created("/api/v1/products", {
            "name": "Target", "price": "5.00", "category_id": self.category["id"], "stock": 5})

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code < 500, (method, path, response.text)
        return response

    def post_json(self, path: str, raw: bytes, **headers: str) -> httpx.Response:
        return self.send("POST", path, content=raw, headers={
            **self.admin, "content-type": "application/json", **headers})

    def totals(self) -> tuple[int, int, int]:
        products = self.send("GET", "/api/v1/products").json()["total"]
        categories = self.send("GET", "/api/v1/categories").json()["total"]
        stock = self.send("GET", f"/api/v1/inventory/{self.product['id']}").json()["stock"]
        return products, categories, stock


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with TestClient(app=create_app(runtime=cheap_runtime(settings))) as client:
        yield Api(client)


def refused_fields(response: httpx.Response) -> set[str]:
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"] for error in response.json().get("errors", [])}


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()  # ensure_ascii: lone surrogates travel as \\udxxx escapes


# ------------------------------------------------------------------ integers


@EXAMPLES
@given(value=huge_integers, name=st.sampled_from(["offset", "limit"]))
def test_a_paging_integer_beyond_64_bits_is_refused_naming_it(api: Api, value: int,
                                                              name: str) -> None:
    response = api.send("GET", f"/api/v1/products?{name}={value}")
    assert name in refused_fields(response)


@pytest.mark.parametrize("offset", [2**53, 2**63 - 1, 2**63])
def test_an_offset_beyond_the_documented_bound_is_refused(api: Api, offset: int) -> None:
    assert "offset" in refused_fields(api.send("GET", f"/api/v1/products?offset={offset}"))


@pytest.mark.parametrize("offset", [2**53 - 1, 2**40])
def test_an_offset_a_database_can_take_is_answered_exactly(api: Api, offset: int) -> None:
    page = api.send("GET", f"/api/v1/products?offset={offset}").json()
    assert (page["items"], page["offset"], page["total"]) == ([], offset, 1)


@EXAMPLES
@given(value=huge_integers)
def test_body_integers_beyond_their_range_are_refused_and_change_nothing(api: Api,
                                                                         value: int) -> None:
    before = api.totals()
    product = api.product["id"]
    cases = [
        ("/api/v1/products", {"name": "Big", "price": "1.00",
                              "category_id": api.category["id"], "stock": value}, "stock"),
        (f"/api/v1/inventory/{product}/adjustments", {"delta": value, "reason": "x"}, "delta"),
        ("/api/v1/orders", {"items": [{"product_id": product, "quantity": value}],
                            "payment": {"method": "card", "token": "tok_visa"}},
         "items[0].quantity"),
    ]
    for path, body, field in cases:
        assert field in refused_fields(api.post_json(path, encoded(body)))
    put = api.send("PUT", f"/api/v1/inventory/{product}", json={"stock": value},
                   headers=api.admin)
    assert "stock" in refused_fields(put)
    assert api.totals() == before


# ------------------------------------------------------------------ text


@EXAMPLES
@given(text=unstorable_text)
def test_text_no_database_can_store_is_refused_in_every_body_field(api: Api, text: str) -> None:
    before = api.totals()
    category = api.category["id"]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/api/v1/categories", {"name": text}, "name"),
        ("/api/v1/products", {"name": text, "price": "1.00", "category_id": category,
                              "stock": 1}, "name"),
        ("/api/v1/products", {"name": "ok", "description": text, "price": "1.00",
                              "category_id": category, "stock": 1}, "description"),
        ("/api/v1/products", {"name": "ok", "sku": text, "price": "1.00",
                              "category_id": category, "stock": 1}, "sku"),
        (f"/api/v1/inventory/{api.product['id']}/adjustments", {"delta": 1, "reason": text},
         "reason"),
        ("/api/v1/auth/register", {"email": "a@example.com", "password": "password-1",
                                   "full_name": text}, "full_name"),
    ]
    for path, body, field in cases:
        response = api.post_json(path, encoded(body))
        fields = refused_fields(response)
        # A lone surrogate escape is not even valid JSON: the body as a whole is refused.
        assert field in fields or fields == {"body"}, (path, response.text)
    assert api.totals() == before


@EXAMPLES
@given(text=unstorable_text)
def test_text_no_database_can_store_is_refused_in_query_and_headers(api: Api, text: str) -> None:
    # A lone surrogate travels as the UTF-8 bytes it would have (not valid UTF-8 at all).
    query = urllib.parse.quote(text.encode("utf-8", "surrogatepass"))
    search = api.send("GET", f"/api/v1/products?q={query}")
    if "\x00" in text:
        assert "q" in refused_fields(search)
    if "\x00" in text:
        order = api.client.build_request(
            "POST", "/api/v1/orders", headers={**api.admin, "content-type": "application/json"},
            content=b'{"items": [], "payment": {"method": "card", "token": "tok_visa"}}')
        order.headers["Idempotency-Key"] = "key" + "\x00"
        assert refused_fields(api.client.send(order)) & {"Idempotency-Key", "idempotency-key"}


# ------------------------------------------------------------------ bodies


@EXAMPLES
@given(raw=not_utf8)
def test_a_body_that_is_not_utf8_is_a_400(api: Api, raw: bytes) -> None:
    before = api.totals()
    assert refused_fields(api.post_json("/api/v1/categories", raw)) == {"body"}
    assert api.totals() == before


@EXAMPLES
@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_a_body_that_is_not_json_is_a_400(api: Api, raw: bytes) -> None:
    try:
        json.loads(raw)
    except ValueError:
        assert api.post_json("/api/v1/categories", raw).status_code == 400


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/xml", "application/json; charset=latin-1", "",
])
def test_a_body_of_another_media_type_is_a_415(api: Api, content_type: str) -> None:
    before = api.totals()
    response = api.send("POST", "/api/v1/categories", content=b'{"name": "Sneaky"}',
                        headers={**api.admin, "content-type": content_type})
    assert response.status_code == 415, response.text
    assert api.totals() == before


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/problem+json",
    "Application/JSON",
])
def test_json_media_types_are_accepted(api: Api, content_type: str) -> None:
    response = api.send("POST", "/api/v1/categories", content=b'{"name": "Fine"}',
                        headers={**api.admin, "content-type": content_type})
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------ Unicode search


@pytest.mark.parametrize(("stored", "query"), [
    ("Café crème", "CAFÉ"),
    ("Ελληνικά βιβλία", "ΕΛΛΗΝΙΚΆ"),
    ("Straße shoes", "STRASSE"),
    ("STRASSE boots", "straße"),
    ("Cafe\u0301 noir", "café"),  # a decomposed é finds and is found by the composed one
])
def test_search_is_caseless_in_every_script(api: Api, stored: str, query: str) -> None:
    product = api.created("/api/v1/products", {"name": stored, "price": "1.00",
                                               "category_id": api.category["id"], "stock": 1})
    found = api.send("GET", "/api/v1/products", params={"q": query}).json()["items"]
    assert product["id"] in {item["id"] for item in found}


searchable_names = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40,
).filter(lambda name: name.strip() == name and name != "")


@EXAMPLES
@given(name=searchable_names)
def test_the_exact_stored_name_always_finds_its_product(api: Api, name: str) -> None:
    product = api.created("/api/v1/products", {"name": name, "price": "1.00",
                                               "category_id": api.category["id"], "stock": 1,
                                               "sku": uuid.uuid4().hex})
    found = api.send("GET", "/api/v1/products", params={"q": product["name"], "limit": 100})
    assert product["id"] in {item["id"] for item in found.json()["items"]}


header_bytes = st.binary(min_size=1, max_size=80).filter(
    lambda raw: b"\r" not in raw and b"\n" not in raw and raw.strip() == raw)


@EXAMPLES
@given(raw=header_bytes, name=st.sampled_from(["Authorization", "Idempotency-Key",
                                                "X-Request-ID", "Content-Type", "Origin"]))
def test_odd_bytes_in_a_header_are_answered_with_a_4xx(api: Api, raw: bytes, name: str) -> None:
    before = api.totals()
    headers = [(name.lower().encode(), raw)]
    if name != "Authorization":
        headers.append((b"authorization", api.admin["Authorization"].encode()))
    if name != "Content-Type":
        headers.append((b"content-type", b"application/json"))
    request = api.client.build_request("POST", "/api/v1/orders", content=b'{"items": []}')
    request.headers = httpx.Headers(headers)
    request.headers["content-length"] = str(len(b'{"items": []}'))
    response = api.client.send(request)
    assert 400 <= response.status_code < 500, response.text
    assert api.totals() == before


def test_a_body_beyond_the_size_limit_is_a_413_problem(api: Api) -> None:
    """Litestar's default limit (10 MiB), documented as 413 on every operation with a body."""
    huge = b'{"name": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    response = api.post_json("/api/v1/categories", huge)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
