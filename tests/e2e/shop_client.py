"""Set-up for the ordering and inventory e2e tests: accounts, tokens, products, stock.

Everything goes through the public HTTP API, as a client would: the admin
ensured at start-up (`SHOP_ADMIN_EMAIL`/`SHOP_ADMIN_PASSWORD`) signs in for
catalog and inventory writes; customers register and sign in. Works with
Litestar's `AsyncTestClient` and with a plain `httpx.AsyncClient` pointed at a
real server.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dependency_injector import providers

from shop.application.ordering.ports import PaymentGateway
from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.interfaces.http.app import create_app
from shop.settings import Settings

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"
CUSTOMER_PASSWORD = "customer-password-1"
JWT_SECRET = "x" * 48

ORDERS = "/api/v1/orders"
INVENTORY = "/api/v1/inventory"
PRODUCTS = "/api/v1/products"

Json = dict[str, Any]

_emails = itertools.count(1)


def with_accounts(settings: Settings) -> Settings:
    """The profile's settings plus a known admin and JWT secret."""
    return settings.with_overrides(admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
                                   jwt_secret=JWT_SECRET)


def cheap_runtime(settings: Settings, *, payment_gateway: PaymentGateway | None = None
                  ) -> ShopRuntime:
    """The composition root's graph with Argon2 at its cheapest (these tests sign in a lot and
    do not test hashing), and optionally another payment gateway."""
    container = Container(settings=settings)
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    container.password_hasher.override(providers.Object(cheap))
    if payment_gateway is not None:
        container.payment_gateway.override(providers.Object(payment_gateway))
    return ShopRuntime(container)


@asynccontextmanager
async def serving_in_loop(runtime: ShopRuntime) -> AsyncIterator[httpx.AsyncClient]:
    """The app served in the test's own event loop, so requests really run concurrently.

    Litestar's AsyncTestClient runs the app in a portal thread and blocks the
    test's loop for each request: requests sent "concurrently" through it are in
    fact served one after the other. Here the runtime is started and stopped by
    hand (no lifespan through httpx), and any 500 fails the test.
    """
    app = create_app(runtime=runtime)

    async def with_scope_state(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("state", {})  # Litestar expects it; httpx does not set it
        await app(scope, receive, send)

    server_errors: list[str] = []

    async def record_server_error(response: httpx.Response) -> None:
        if response.status_code == 500:
            await response.aread()
            server_errors.append(
                f"{response.request.method} {response.request.url.path} -> {response.text}")

    await runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_scope_state),
                                     base_url="http://testserver",
                                     event_hooks={"response": [record_server_error]},
                                     timeout=60) as client:
            yield client
    finally:
        await runtime.stop()
    assert not server_errors, f"server errors answered: {server_errors}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def card(token: str = "tok_visa") -> Json:
    return {"method": "card", "token": token}


def order_body(*lines: tuple[Json | str, int], token: str = "tok_visa", **extra: Any) -> Json:
    """`order_body((product, 2), (other, 1))`: products as JSON objects or ids."""
    items = [{"product_id": p if isinstance(p, str) else p["id"], "quantity": q}
             for p, q in lines]
    return {"items": items, "payment": card(token), **extra}


class ShopClient:
    """Short ways to set up and inspect the shop through its HTTP API."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._admin: Account | None = None
        self._category_id: str | None = None

    # --- accounts ------------------------------------------------------------

    async def token(self, email: str, password: str) -> str:
        response = await self.client.post("/api/v1/auth/token",
                                          json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def admin(self) -> Account:
        if self._admin is None:
            token = await self.token(ADMIN_EMAIL, ADMIN_PASSWORD)
            me = await self.client.get("/api/v1/customers/me", headers=bearer(token))
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "admin"
            self._admin = Account(id=me.json()["id"], email=ADMIN_EMAIL, token=token)
        return self._admin

    async def customer(self, name: str = "customer") -> Account:
        email = f"{name}-{next(_emails)}-{uuid.uuid4().hex[:6]}@example.com"
        response = await self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": CUSTOMER_PASSWORD, "full_name": name.title()})
        assert response.status_code == 201, response.text
        customer_id = response.json()["id"]
        return Account(id=customer_id, email=email,
                       token=await self.token(email, CUSTOMER_PASSWORD))

    # --- catalog ---------------------------------------------------------------

    async def category_id(self) -> str:
        if self._category_id is None:
            response = await self.client.post(
                "/api/v1/categories", json={"name": f"Category {uuid.uuid4().hex[:8]}"},
                headers=(await self.admin()).headers)
            assert response.status_code == 201, response.text
            self._category_id = response.json()["id"]
        return self._category_id

    async def product(self, *, price: str = "10.00", stock: int = 10,
                      name: str | None = None, **fields: Any) -> Json:
        body = {"name": name or f"Product {uuid.uuid4().hex[:8]}", "price": price,
                "category_id": await self.category_id(), "stock": stock, **fields}
        response = await self.client.post(PRODUCTS, json=body,
                                          headers=(await self.admin()).headers)
        assert response.status_code == 201, response.text
        product: Json = response.json()
        return product

    async def delete_product(self, product: Json) -> None:
        response = await self.client.delete(f"{PRODUCTS}/{product['id']}",
                                            headers=(await self.admin()).headers)
        assert response.status_code == 204, response.text

    # --- inventory -------------------------------------------------------------

    async def stock(self, product: Json | str) -> int:
        product_id = product if isinstance(product, str) else product["id"]
        response = await self.client.get(f"{INVENTORY}/{product_id}")
        assert response.status_code == 200, response.text
        level: int = response.json()["stock"]
        return level

    async def stocks(self, *products: Json) -> list[int]:
        return [await self.stock(product) for product in products]

    # --- orders ----------------------------------------------------------------

    async def place(self, account: Account, body: Json,
                    idempotency_key: str | None = None) -> httpx.Response:
        headers = dict(account.headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return await self.client.post(ORDERS, json=body, headers=headers)

    async def paid_order(self, account: Account, *lines: tuple[Json, int]) -> Json:
        response = await self.place(account, order_body(*lines))
        assert response.status_code == 201, response.text
        order: Json = response.json()
        assert order["status"] == "Paid"
        return order

    async def orders(self, account: Account, **params: Any) -> Json:
        response = await self.client.get(ORDERS, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        page: Json = response.json()
        return page

    async def order(self, account: Account, order_id: str) -> Json:
        response = await self.client.get(f"{ORDERS}/{order_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        order: Json = response.json()
        return order
