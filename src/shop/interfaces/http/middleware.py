"""The request context: request id, latency histogram and access log, around every HTTP request.

It is a plain ASGI callable wrapped around Litestar's whole handler (router and
exception handling included), not a Litestar `middleware=` entry: those run
only once a route matched, and unknown paths (404) and wrong methods (405)
must carry `X-Request-ID` and be measured too. It sits in front of every
request, so it does the least it can: no Request object, no header parsing
beyond one scan, and metrics counted in process, written in batches
(`infrastructure/observability/request_metrics.py`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from time import perf_counter
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from shop.infrastructure.observability.logging import (
    ACCESS_LOG,
    bind_request_id,
    reset_request_id,
)
from shop.infrastructure.observability.request_metrics import RequestMetrics
from shop.infrastructure.observability.tracing import name_server_span
from shop.interfaces.http.auth import principal_in

REQUEST_ID_HEADER: Final = b"x-request-id"
MAX_REQUEST_ID_LENGTH: Final = 200
UNMATCHED_ROUTE: Final = "unmatched"
"""The `route` label of requests no route answered (raw paths would explode cardinality)."""

_KNOWN_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


_UUID4_CLEAR: Final = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET: Final = (0x4000 << 64) | (0x8000 << 48)


def new_request_id() -> str:
    """A random version-4 UUID as 32 hex digits.

    The layout `uuid.uuid4().hex` gives, at a fraction of the cost: `uuid.UUID`'s
    constructor, then `os.urandom`'s system call, were the slowest steps on the
    path of a request that brings no id. A request id correlates log lines and
    is no secret, so Python's own generator serves (reseeded in every forked
    child, and seeded independently in every spawned worker).
    """
    return f"{(random.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's `X-Request-ID` when it is 1..200 printable ASCII characters, else a new one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if 0 < len(value) <= MAX_REQUEST_ID_LENGTH and value.isascii():
                text: str = value.decode("ascii")
                if text.isprintable():
                    return text
            break
    return new_request_id()


class RequestContextMiddleware:
    """Tags every HTTP response with its request id, measures it and logs it."""

    __slots__ = ("_access_log", "_app", "_metrics", "_traced")

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics, access_log: bool,
                 traced: bool = False) -> None:
        self._app = app
        self._metrics = metrics
        self._access_log = access_log
        self._traced = traced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        request_id = request_id_from(scope["headers"])
        id_header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        path = scope["path"]
        status = 500  # what the server answers if the app fails before starting a response

        traced = self._traced

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
                if traced:  # routing is done; the span ends with the response's last byte
                    name_server_span(scope["method"], scope.get("path_template") or UNMATCHED_ROUTE)
            await send(message)

        state = scope.setdefault("state", {})  # where the auth guards leave the principal
        bound = bind_request_id(request_id)
        self._metrics.started()
        started = perf_counter()
        try:
            await self._app(scope, receive, send_with_request_id)
        finally:
            elapsed = perf_counter() - started
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            route = scope.get("path_template") or UNMATCHED_ROUTE
            self._metrics.finished(method, route, status, elapsed)
            if self._access_log:
                principal = principal_in(state)
                ACCESS_LOG.write({
                    "request_id": request_id, "method": method, "route": route, "path": path,
                    "status": status, "duration_ms": round(elapsed * 1000, 3),
                    "principal_id": str(principal.customer_id) if principal else None,
                    "event": "request",
                })
            reset_request_id(bound)
