"""Clients for the websocket tests: the HTTP API of a real server, and a feed client.

`FeedClient` behaves like the clients in docs/realtime.md: it answers the
server's pings in the background, so a test may spend any time on HTTP calls
without its socket being dropped; everything else it receives is queued for
the test. Waiting is bounded (`RECEIVE_TIMEOUT`) only so that a broken feed
fails the test instead of hanging it; no test asserts on durations.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

Json = dict[str, Any]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"
JWT_SECRET = "x" * 48
RECEIVE_TIMEOUT = 15.0


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str


class ShopApi:
    """The public HTTP API of one server, with the few calls the feed tests need."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30.0, trust_env=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def token(self, email: str, password: str) -> str:
        response = await self.http.post("/api/v1/auth/token",
                                        json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def admin(self) -> Account:
        token = await self.token(ADMIN_EMAIL, ADMIN_PASSWORD)
        me = await self.http.get("/api/v1/customers/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        return Account(id=me.json()["id"], email=ADMIN_EMAIL, token=token)

    async def customer(self) -> Account:
        email = f"buyer-{uuid.uuid4().hex[:12]}@example.com"
        password = "customer-password-1"
        response = await self.http.post("/api/v1/auth/register", json={
            "email": email, "password": password, "full_name": "Feed Tester"})
        assert response.status_code == 201, response.text
        return Account(id=response.json()["id"], email=email,
                       token=await self.token(email, password))

    async def product(self, admin: Account, *, stock: int = 10) -> Json:
        category = await self._created(admin, "/api/v1/categories",
                                       {"name": f"Feeds {uuid.uuid4().hex[:8]}"})
        return await self._created(admin, "/api/v1/products", {
            "name": f"Live {uuid.uuid4().hex[:8]}", "price": "10.00",
            "category_id": category["id"], "stock": stock})

    async def adjust_stock(self, admin: Account, product_id: str, delta: int = 3) -> Json:
        response = await self.http.post(f"/api/v1/inventory/{product_id}/adjustments",
                                        json={"delta": delta, "reason": "recount"},
                                        headers=bearer(admin.token))
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def place_order(self, customer: Account, product_id: str) -> Json:
        response = await self.http.post("/api/v1/orders", headers=bearer(customer.token), json={
            "items": [{"product_id": product_id, "quantity": 1}],
            "payment": {"method": "card", "token": "tok_visa"}})
        assert response.status_code in (200, 201), response.text
        body: Json = response.json()
        return body

    async def _created(self, admin: Account, path: str, body: Json) -> Json:
        response = await self.http.post(path, json=body, headers=bearer(admin.token))
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Closed:
    """The connection ended: the close code and reason the client received."""

    code: int | None
    reason: str


class FeedClient:
    """A websocket client of `/ws/inventory` or `/ws/orders` (see the module docstring)."""

    def __init__(self, connection: ClientConnection, *, answer_pings: bool) -> None:
        self.connection = connection
        self._answer_pings = answer_pings
        self._inbox: asyncio.Queue[Json | Closed] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self.pings = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, *, answer_pings: bool = True) -> AsyncIterator[FeedClient]:
        # The library's own protocol-level pings are off: only the feed's pings are tested.
        async with websockets.connect(url, ping_interval=None, open_timeout=RECEIVE_TIMEOUT,
                                      close_timeout=2) as connection:
            client = cls(connection, answer_pings=answer_pings)
            try:
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def send(self, message: Json | str) -> None:
        await self.connection.send(message if isinstance(message, str) else json.dumps(message))

    async def receive(self) -> Json:
        """The next message other than a ping; fails if the connection closed instead."""
        item = await asyncio.wait_for(self._inbox.get(), RECEIVE_TIMEOUT)
        assert not isinstance(item, Closed), f"connection closed: {item}"
        return item

    async def closed(self) -> Closed:
        """Wait for the end of the connection, skipping any message before it."""
        while True:
            item = await asyncio.wait_for(self._inbox.get(), RECEIVE_TIMEOUT)
            if isinstance(item, Closed):
                return item

    async def subscribe(self, *product_ids: str) -> Json:
        await self.send({"type": "subscribe", "product_ids": list(product_ids)})
        reply = await self.receive()
        assert reply == {"type": "subscribed", "product_ids": list(product_ids)}, reply
        return reply

    async def unsubscribe(self, *product_ids: str) -> Json:
        await self.send({"type": "unsubscribe", "product_ids": list(product_ids)})
        reply = await self.receive()
        assert reply == {"type": "unsubscribed", "product_ids": list(product_ids)}, reply
        return reply

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                message: Json = json.loads(raw)
                if message.get("type") == "ping":
                    self.pings += 1
                    if self._answer_pings:
                        await self.connection.send(json.dumps({"type": "pong"}))
                    continue
                await self._inbox.put(message)
        except websockets.ConnectionClosed:
            pass
        await self._inbox.put(Closed(self.connection.close_code,
                                     self.connection.close_reason or ""))
