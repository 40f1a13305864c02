"""What every request must be before a route reads it: JSON bodies that say so, storable text.

One app-level middleware (`well_formed_requests`) runs once the route is matched,
before the route's own guards and before its body is decoded:

- A request that carries a body (POST, PUT, PATCH with content) must declare
  `Content-Type: application/json` or an `application/*+json` type, with no
  charset other than UTF-8; anything else answers 415, whatever the route.
- No query parameter, path parameter or header may carry a NUL character or a
  lone surrogate: PostgreSQL (and SQL Server) cannot store them, SQLite would,
  so they are refused here for every backend alike (400 naming the input).

Body text is checked the same way by `StrictJSON` after decoding (see
`refuse_unstorable_text`), so a `\\u0000` inside a JSON string is a 400 naming
its field.

A middleware, not a guard: Litestar hands every guard a copy of the route
handler, which cost a fifth of a `/health/live` request. And a plain ASGI
wrapper, not Litestar's `ASGIMiddleware`, whose per-request checks (scope type,
opt-out key, excluded paths: none of which it uses) cost ~0.6 us of a ~29 us
`/health/live` (bench/README.md, 2026-12-07 19:00). Raised inside the route's exception
middleware, its errors become problems like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ASGIApp, Receive, Scope, Send

UNSTORABLE_TEXT: Final = "must not contain NUL characters or lone surrogates"
UNSUPPORTED_MEDIA_TYPE: Final = (
    "Send request bodies as JSON: `Content-Type: application/json` (or an "
    "`application/*+json` type), UTF-8 encoded."
)

NUL_BYTE: Final = 0
"""`0 in some_bytes`, not `b"\\x00" in`: one memchr against a substring search, ~60 against
~330 ns a header here, and every header of every request is checked."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


def has_unstorable_text(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def well_formed_requests(app: ASGIApp) -> ASGIApp:
    """Wraps a route: refuses what no route should read (see the module's docstring)."""

    async def refuse_malformed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:  # websockets answer with their own close codes
            _refuse_unstorable_inputs(scope)
            if scope["method"] in _BODY_METHODS and _has_body(scope["headers"]):
                _require_json(ASGIConnection(scope).headers.get("content-type"))
        await app(scope, receive, send)

    return refuse_malformed


def _refuse_unstorable_inputs(scope: Scope) -> None:
    """Cheap on the common path: only a raw NUL (or `%00`) makes it decode anything.

    Query strings are decoded with replacement characters, so invalid UTF-8 there
    becomes U+FFFD, never a lone surrogate; a NUL is the one thing to look for.
    """
    errors: list[dict[str, str]] = []
    if _may_carry_nul(scope.get("query_string", b"")):
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        for name, values in connection.query_params.dict().items():
            if has_unstorable_text(name) or any(has_unstorable_text(v) for v in values):
                errors.append(_error(name, "query"))
    if has_unstorable_text(scope["path"]):  # the server decoded it; it is short
        for name, value in (scope.get("path_params") or {}).items():
            if isinstance(value, str) and has_unstorable_text(value):
                errors.append(_error(name, "path"))
    for raw_name, raw_value in scope["headers"]:
        if NUL_BYTE in raw_value or NUL_BYTE in raw_name:
            errors.append(_error(raw_name.decode("latin-1"), "header"))
    if errors:
        raise ValidationException("the request carries text no database can store",
                                  extra=errors)


def _may_carry_nul(raw: bytes) -> bool:
    return NUL_BYTE in raw or b"%00" in raw


def _error(key: str, source: str) -> dict[str, str]:
    return {"key": key.replace("\x00", "\\u0000"), "message": UNSTORABLE_TEXT, "source": source}


def _has_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


def _require_json(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    if not _JSON_TYPE.match(media_type.strip().lower()) or not _utf8(parameters):
        raise HTTPException(status_code=415, detail=UNSUPPORTED_MEDIA_TYPE)


def _utf8(parameters: str) -> bool:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8", "utf8"
        ):
            return False
    return True


def refuse_unstorable_text(value: Any, path: str = "") -> None:
    """Raise a validation error naming the first field of a decoded body with unstorable text."""
    for location, text in _texts(value, path):
        if has_unstorable_text(text):
            raise ValidationException(
                "the body carries text no database can store",
                extra=[{"key": location or "data", "message": UNSTORABLE_TEXT, "source": "body"}],
            )


def _texts(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _texts(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(key, path)
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")
