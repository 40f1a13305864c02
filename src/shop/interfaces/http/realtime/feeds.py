"""`/ws/inventory` and `/ws/orders`: what each feed does with its clients.

The inventory feed is a conversation: the client says which products it
follows and the server confirms, refuses (limit, malformed message: the
connection stays open) and pushes their stock changes. The orders feed is
push-only: the access token in the query string decides whose orders it
carries, and a connection without a valid one is closed with 4401. So is an
open one the moment its token expires, or once its account was disabled
(checked every SHOP_ACCOUNT_STATUS_CACHE_SECONDS).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from litestar import websocket
from litestar.connection import WebSocket
from litestar.di import NamedDependency
from litestar.handlers import WebsocketRouteHandler

from shop.application.customers.ports import AccountStatus, TokenService
from shop.application.shared import Principal
from shop.domain.shared.errors import Unauthenticated
from shop.interfaces.http.dependencies import Runtime
from shop.interfaces.http.realtime.channels import (
    INVENTORY_FEED,
    ORDERS_FEED,
    FeedChannels,
    SessionSubscriber,
)
from shop.interfaces.http.realtime.messages import (
    ErrorMessage,
    MalformedMessage,
    Subscribe,
    SubscribedMessage,
    Unsubscribe,
    UnsubscribedMessage,
    decode_inventory_request,
    decode_orders_request,
)
from shop.interfaces.http.realtime.session import (
    ACCOUNT_DISABLED,
    TOKEN_EXPIRED,
    UNAUTHENTICATED,
    FeedSession,
    connection_context,
)

MIN_ACCOUNT_CHECK_SECONDS = 0.05

Channels = NamedDependency[FeedChannels]
"""The app's feeds plugin, provided by Litestar Channels as `channels`."""


class InventorySubscriptions:
    """The products one `/ws/inventory` connection follows, and the messages that change them.

    Each subscribe request opens one Channels subscriber for the products new to
    this connection; the map remembers which subscriber carries which product
    so an unsubscribe can drop exactly those channels.
    """

    def __init__(self, session: FeedSession, feeds: FeedChannels) -> None:
        self._session = session
        self._feeds = feeds
        self._limit = feeds.limits.max_subscriptions
        self._by_product: dict[uuid.UUID, SessionSubscriber] = {}

    async def handle(self, data: str | bytes) -> None:
        try:
            request = decode_inventory_request(data)
        except MalformedMessage as error:
            self._session.reply(ErrorMessage(detail=str(error)))
            return
        if isinstance(request, Subscribe):
            await self._subscribe(request.product_ids)
        elif isinstance(request, Unsubscribe):
            await self._unsubscribe(request.product_ids)
        # A pong needs no answer: hearing from the client is what the heartbeat checks.

    async def _subscribe(self, product_ids: list[uuid.UUID]) -> None:
        wanted = list(dict.fromkeys(product_ids))
        new = [product_id for product_id in wanted if product_id not in self._by_product]
        if len(self._by_product) + len(new) > self._limit:
            self._session.reply(ErrorMessage(
                detail=f"a connection may follow at most {self._limit} products; it follows "
                f"{len(self._by_product)} and this asks for {len(new)} more: nothing was "
                "subscribed (unsubscribe some first)"))
            return
        subscriber: SessionSubscriber | None = None
        if new:
            subscriber = await self._feeds.open_subscription(
                self._feeds.names.stock(product_id) for product_id in new)
            for product_id in new:
                self._by_product[product_id] = subscriber
        # Confirm first, then let changes in (no await in between): every change the
        # client receives for these products comes after their `subscribed`.
        self._session.reply(SubscribedMessage(product_ids=wanted))
        if subscriber is not None:
            subscriber.sink = self._session.offer

    async def _unsubscribe(self, product_ids: list[uuid.UUID]) -> None:
        wanted = list(dict.fromkeys(product_ids))
        for product_id in wanted:
            subscriber = self._by_product.pop(product_id, None)
            if subscriber is not None:
                await self._feeds.unsubscribe(subscriber, self._feeds.names.stock(product_id))
        self._session.reply(UnsubscribedMessage(product_ids=wanted))

    async def clear(self) -> None:
        channels: dict[SessionSubscriber, list[str]] = {}
        for product_id, subscriber in self._by_product.items():
            channels.setdefault(subscriber, []).append(self._feeds.names.stock(product_id))
        self._by_product.clear()
        for subscriber, names in channels.items():
            await self._feeds.unsubscribe(subscriber, names)


async def inventory_feed(socket: WebSocket[Any, Any, Any], channels: Channels) -> None:
    """Stock changes of the products the client subscribes to (anyone may connect)."""
    await socket.accept()
    session = FeedSession(socket, feed=INVENTORY_FEED, feeds=channels,
                          context=connection_context(socket))
    subscriptions = InventorySubscriptions(session, channels)
    try:
        await session.run(subscriptions.handle)
    finally:
        await subscriptions.clear()


async def order_feed(socket: WebSocket[Any, Any, Any], channels: Channels,
                     runtime: Runtime) -> None:
    """Status changes of the caller's orders (an admin's: every order)."""
    principal = _principal(runtime.container.token_service(), socket.query_params.get("token"))
    status = runtime.container.account_status()
    if principal is None or not await status.is_active(principal.customer_id):
        await _refuse(socket)
        return
    channel = (channels.names.all_orders if principal.is_admin
               else channels.names.customer_orders(principal.customer_id))
    # Subscribe before accepting: once the client's handshake completes, nothing it
    # then causes can be published before this process listens.
    subscriber = await channels.open_subscription([channel])
    try:
        await socket.accept()
        context = connection_context(socket)
        context["customer_id"] = str(principal.customer_id)
        context["role"] = principal.role.value
        session = FeedSession(socket, feed=ORDERS_FEED, feeds=channels, context=context)
        subscriber.sink = session.offer

        async def handle(data: str | bytes) -> None:
            try:
                decode_orders_request(data)
            except MalformedMessage as error:
                session.reply(ErrorMessage(detail=str(error)))

        interval = max(runtime.settings.account_status_cache_seconds,
                       MIN_ACCOUNT_CHECK_SECONDS)
        watcher = asyncio.create_task(_watch_credentials(session, principal, status, interval))
        try:
            await session.run(handle)
        finally:
            watcher.cancel()
    finally:
        await channels.unsubscribe(subscriber, channel)


async def _watch_credentials(session: FeedSession, principal: Principal, status: AccountStatus,
                             interval: float) -> None:
    """Ends the session when its token expires or its account is disabled.

    A failed status check (database unavailable) keeps the connection and
    asks again next time: a feed is not cut because storage hiccuped.
    """
    log = structlog.get_logger("shop.realtime")
    while True:
        wait = interval
        if principal.expires_at is not None:
            left = (principal.expires_at - datetime.now(UTC)).total_seconds()
            if left <= 0:
                session.end(TOKEN_EXPIRED)
                return
            wait = min(wait, left)
        await asyncio.sleep(wait)
        try:
            active = await status.is_active(principal.customer_id)
        except Exception as error:
            log.warning("account status check failed", error_type=type(error).__name__)
            continue
        if not active:
            session.end(ACCOUNT_DISABLED)
            return


def _principal(tokens: TokenService, token: str | None) -> Principal | None:
    if not token:
        return None
    try:
        return tokens.read_access(token)
    except Unauthenticated:
        return None


async def _refuse(socket: WebSocket[Any, Any, Any]) -> None:
    """Accept only to close with 4401: a refused handshake would reach the client as a bare
    HTTP 403, which browsers do not expose to scripts."""
    await socket.accept()
    await socket.close(code=UNAUTHENTICATED.code or 4401, reason=UNAUTHENTICATED.detail)
    log = structlog.get_logger("shop.realtime").bind(feed=ORDERS_FEED,
                                                     **connection_context(socket))
    log.info("websocket refused", reason=UNAUTHENTICATED.label, code=UNAUTHENTICATED.code)


def route_handlers() -> Sequence[WebsocketRouteHandler]:
    """New handler objects per app (a handler object belongs to the app it is registered in)."""
    return [
        websocket("/ws/inventory", name="inventory_feed")(inventory_feed),
        websocket("/ws/orders", name="order_feed")(order_feed),
    ]
