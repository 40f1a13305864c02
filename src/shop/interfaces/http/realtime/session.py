"""One websocket client of a feed: its bounded send queue, heartbeat, close and accounting.

Each connection sends from its own task and its own bounded queue. Channels'
fan-out only puts a message in each queue (never waits), so a client that
reads slowly delays nobody else; when its queue is full the server closes it
with 1013 rather than buffer without limit. Every `heartbeat_seconds` the
server sends `{"type": "ping"}`; a client that sent nothing (a `pong` or any
other message) by the next ping is closed with 4408, which frees connections
whose peer vanished without a TCP close.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, NamedTuple, cast

import structlog
from litestar.connection import WebSocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import WebSocketReceiveEvent
from prometheus_client import Counter, Gauge, Histogram

from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.infrastructure.observability.metrics import (
    WS_CLIENTS_DROPPED,
    WS_CONNECTIONS,
    WS_DELIVERY_SECONDS,
    WS_MESSAGES_DROPPED,
    WS_MESSAGES_SENT,
)
from shop.interfaces.http.middleware import request_id_from
from shop.interfaces.http.realtime.channels import INVENTORY_FEED, FeedChannels
from shop.interfaces.http.realtime.messages import PingMessage, ServerMessage, decode_frame, encode

CLOSE_TIMEOUT_SECONDS: Final = 1.0
"""A client that stopped reading cannot take a close frame; it is disconnected after this."""


@dataclass(frozen=True)
class CloseReason:
    """Why a connection ended: the label of its logs and metrics, and the close code sent."""

    label: str
    code: int | None
    """The close code the server sends; None when the client closed first."""
    detail: str = ""
    dropped: bool = False
    """The server dropped a client that fell behind or went silent."""


CLIENT_CLOSED: Final = CloseReason("client_closed", None)
SLOW_CLIENT: Final = CloseReason(
    "slow_client", 1013, "send queue full: the client reads too slowly; reconnect", dropped=True
)
HEARTBEAT_TIMEOUT: Final = CloseReason(
    "heartbeat_timeout", 4408, "no pong (or any message) since the last ping", dropped=True
)
SERVER_SHUTDOWN: Final = CloseReason("server_shutdown", 1001, "server shutting down")
SERVER_ERROR: Final = CloseReason("server_error", 1011, "internal error")
UNAUTHENTICATED: Final = CloseReason(
    "unauthenticated", 4401, "missing, invalid or expired access token"
)
TOKEN_EXPIRED: Final = CloseReason("token_expired", 4401, "the access token expired")
ACCOUNT_DISABLED: Final = CloseReason("account_disabled", 4401, "the account was disabled")

MessageHandler = Callable[[str | bytes], Awaitable[None]]
"""What a feed does with each message its client sends."""


def expose_drop_counters(feeds: Iterable[str]) -> None:
    """Create the drop counters' series at zero before anything is dropped.

    `rate()` and the alerts need a series to exist before its first increment,
    and under `shop serve` (multiprocess mode) a series that was never written
    is not exposed at all.
    """
    for feed in feeds:
        for reason in (SLOW_CLIENT, HEARTBEAT_TIMEOUT):
            WS_CLIENTS_DROPPED.labels(feed=feed, reason=reason.label)
            WS_MESSAGES_DROPPED.labels(feed=feed, reason=reason.label)
        for label in ("publish_failed", "feed_not_running"):
            WS_MESSAGES_DROPPED.labels(feed=feed, reason=label)

_CHANGE_TYPE: Final = {INVENTORY_FEED: "stock_changed"}
_DEFAULT_CHANGE_TYPE: Final = "order_status_changed"
_PING: Final = PingMessage()


class _Control(NamedTuple):
    """A message of the conversation itself (subscribed, error, ping), not a change."""

    text: str
    type: str


class _LastFrame:
    """Decodes a channel frame once for all its subscribers.

    Channels hands the same bytes object to every subscriber of a channel, so
    remembering the last frame (by identity) turns a fan-out to 1,000 clients
    into one decode instead of 1,000.
    """

    __slots__ = ("_decoded", "_frame")

    def __init__(self) -> None:
        self._frame: bytes | None = None
        self._decoded: tuple[float, str] = (math.nan, "")

    def decode(self, frame: bytes) -> tuple[float, str]:
        if frame is not self._frame:
            self._decoded = decode_frame(frame)
            self._frame = frame
        return self._decoded


_last_frame = _LastFrame()


class FeedMetrics:
    """The prometheus children of one feed, resolved once: `labels()` takes a lock per call."""

    _of: ClassVar[dict[str, FeedMetrics]] = {}

    def __init__(self, feed: str) -> None:
        self.feed = feed
        self.connections: Gauge = WS_CONNECTIONS.labels(feed=feed)
        self._change_sent: Counter = WS_MESSAGES_SENT.labels(
            feed=feed, type=_CHANGE_TYPE.get(feed, _DEFAULT_CHANGE_TYPE))
        self._delivery: Histogram = WS_DELIVERY_SECONDS.labels(feed=feed)
        self._control_sent: dict[str, Counter] = {}

    @classmethod
    def of(cls, feed: str) -> FeedMetrics:
        metrics = cls._of.get(feed)
        if metrics is None:
            metrics = cls._of[feed] = cls(feed)
        return metrics

    def change_sent(self, published_at: float) -> None:
        self._change_sent.inc()
        if not math.isnan(published_at):
            DEFERRED.observe(self._delivery, max(0.0, time.time() - published_at))

    def control_sent(self, message_type: str) -> None:
        counter = self._control_sent.get(message_type)
        if counter is None:
            counter = self._control_sent[message_type] = WS_MESSAGES_SENT.labels(
                feed=self.feed, type=message_type)
        counter.inc()

    def closed(self, reason: CloseReason, undelivered: int) -> None:
        if undelivered:
            WS_MESSAGES_DROPPED.labels(feed=self.feed, reason=reason.label).inc(undelivered)
        if reason.dropped:
            WS_CLIENTS_DROPPED.labels(feed=self.feed, reason=reason.label).inc()


def connection_context(socket: WebSocket[Any, Any, Any]) -> dict[str, str]:
    """What every log line of a connection carries: its id (the client's X-Request-ID if
    it sent one on the upgrade request) and the peer's address."""
    client = socket.client
    return {
        "connection_id": request_id_from(socket.scope["headers"]),
        "client": f"{client.host}:{client.port}" if client else "unknown",
    }


class FeedSession:
    """Runs one accepted connection until the client leaves or the server drops it."""

    def __init__(self, socket: WebSocket[Any, Any, Any], *, feed: str, feeds: FeedChannels,
                 context: dict[str, str]) -> None:
        self._socket = socket
        self._feeds = feeds
        self._heartbeat = feeds.limits.heartbeat_seconds
        self._queue: asyncio.Queue[bytes | _Control] = asyncio.Queue(
            maxsize=feeds.limits.send_queue_size)
        self._queued_changes = 0
        self._reason: CloseReason | None = None
        self._close_requested = asyncio.Event()
        self._closed = asyncio.Event()
        self._heard = True
        self._pinged = False
        self._client_code: int | None = None
        self._sent = 0
        self._overflowed = 0
        self._metrics = FeedMetrics.of(feed)
        self._log = structlog.get_logger("shop.realtime").bind(feed=feed, **context)

    # -- called from Channels' fan-out and from the feed's message handler (never block)

    def offer(self, frame: bytes) -> None:
        """Queue a change for this client; a full queue drops the client, not the message
        of everybody else."""
        if self._reason is not None:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self._overflowed += 1
            self._request_close(SLOW_CLIENT)
            return
        self._queued_changes += 1

    def reply(self, message: ServerMessage) -> None:
        if self._reason is not None:
            return
        message_type = str(type(message).__struct_config__.tag)
        try:
            self._queue.put_nowait(_Control(encode(message), message_type))
        except asyncio.QueueFull:
            self._request_close(SLOW_CLIENT)

    def shut_down(self) -> None:
        self._request_close(SERVER_SHUTDOWN)

    def end(self, reason: CloseReason) -> None:
        """Close the connection for `reason` (its credentials ended, say)."""
        self._request_close(reason)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def _request_close(self, reason: CloseReason) -> None:
        if self._reason is None:
            self._reason = reason
            self._close_requested.set()

    # -- the connection's life

    async def run(self, on_message: MessageHandler) -> CloseReason:
        """Send, receive and ping until one side ends; then close and account for it."""
        self._feeds.track(self)
        self._metrics.connections.inc()
        started = time.monotonic()
        self._log.info("websocket connected")
        sender = asyncio.create_task(self._send_loop())
        receiver = asyncio.create_task(self._receive_loop(on_message))
        close_requested = asyncio.create_task(self._close_requested.wait())
        reason = SERVER_ERROR
        try:
            reason = await self._supervise(sender, receiver, close_requested)
        finally:
            if self._reason is None:
                self._reason = reason
            try:
                for task in (sender, receiver, close_requested):
                    task.cancel()
                await asyncio.gather(sender, receiver, close_requested, return_exceptions=True)
                await self._send_close(reason)
            finally:  # accounted for even if the server cancels this handler meanwhile
                self._finish(reason, started)
        return reason

    async def _supervise(self, sender: asyncio.Task[None], receiver: asyncio.Task[None],
                         close_requested: asyncio.Task[Any]) -> CloseReason:
        watched = {sender, receiver, close_requested}
        interval = self._heartbeat or None
        while True:
            done, _ = await asyncio.wait(watched, timeout=interval,
                                         return_when=asyncio.FIRST_COMPLETED)
            if close_requested in done:
                return self._reason or SERVER_ERROR
            if receiver in done:
                return self._ended_by(receiver)
            if sender in done:
                return self._ended_by(sender)
            if self._pinged and not self._heard:
                return HEARTBEAT_TIMEOUT
            self._heard, self._pinged = False, True
            self.reply(_PING)

    def _ended_by(self, task: asyncio.Task[None]) -> CloseReason:
        error = task.exception()
        if error is None or isinstance(error, WebSocketDisconnect):
            return CLIENT_CLOSED
        if self._socket.connection_state == "disconnect":
            return CLIENT_CLOSED  # a send raced the client's close
        self._log.error("websocket session failed", exc_info=error)
        return SERVER_ERROR

    async def _receive_loop(self, on_message: MessageHandler) -> None:
        while True:
            event = await self._socket.receive()
            if event["type"] == "websocket.disconnect":
                self._client_code = event.get("code")
                return
            self._heard = True
            received = cast(WebSocketReceiveEvent, event)
            text = received.get("text")
            data = text if text is not None else received.get("bytes")
            if data is not None:
                await on_message(data)

    async def _send_loop(self) -> None:
        queue, send, metrics, decode = (self._queue, self._socket.send_text, self._metrics,
                                         _last_frame.decode)
        while True:
            item = await queue.get()
            if isinstance(item, bytes):
                self._queued_changes -= 1
                published_at, text = decode(item)
                await send(text)
                metrics.change_sent(published_at)
            else:
                await send(item.text)
                metrics.control_sent(item.type)
            self._sent += 1

    async def _send_close(self, reason: CloseReason) -> None:
        """Best effort: a vanished or stalled client cannot be told, only disconnected."""
        if self._socket.connection_state == "disconnect" or reason.code is None:
            return
        with contextlib.suppress(WebSocketDisconnect, TimeoutError, OSError, RuntimeError):
            await asyncio.wait_for(self._socket.close(code=reason.code, reason=reason.detail),
                                   CLOSE_TIMEOUT_SECONDS)

    def _finish(self, reason: CloseReason, started: float) -> None:
        undelivered = self._queued_changes + self._overflowed
        self._metrics.connections.dec()
        self._metrics.closed(reason, undelivered)
        self._feeds.untrack(self)
        self._closed.set()
        fields: dict[str, Any] = {
            "reason": reason.label, "code": reason.code, "client_code": self._client_code,
            "seconds": round(time.monotonic() - started, 3), "messages_sent": self._sent,
            "messages_dropped": undelivered,
        }
        if reason.dropped or reason is SERVER_ERROR:
            self._log.warning("websocket closed", **fields)
        else:
            self._log.info("websocket closed", **fields)
