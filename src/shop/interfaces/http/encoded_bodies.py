"""JSON bodies encoded once for each object the read side hands out, kept while it lives.

With the near cache on, a product read and a product list page come from
in-process caches (`infrastructure/cache/near.py`, `listings.py`) that hand
the very same view or `PageOf` object to every reader until a change drops
it. Presenting and encoding it was most of what such a request cost over
`/health/live` (`bench/README.md`, `catalog_read.py`), and it gives the same
bytes for the same object every time. So the body is kept for as long as that
object lives, keyed by its identity, not its value:

- an object read anew (a miss, an expired entry, no near cache at all) is a
  new object and is encoded anew;
- an object a write dropped is never handed out again, so neither is its
  body; and the body goes when the object is garbage collected, so the bodies
  kept are bounded by what the caches keep.

Coherence therefore stays the caches': nothing here can answer a body the
read side would not have answered. Cached objects are not changed once
answered (the caches share each one between readers on the same assumption).

The answer is kept too, not only its bytes: Litestar turns a route's
`Response` into an `ASGIResponse` (headers built, content-length counted) on
every request, and for a body read from memory that was the largest part of
what a product read cost over `/health/live`. A `PreparedResponse` builds it
once per route's settings and hands the same one out while they stay the same.
An `ASGIResponse` sends a fresh list of its headers each time, so what the
middleware adds to one answer (the request id, the security headers) never
reaches another.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from litestar import Response
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json

if TYPE_CHECKING:
    from litestar.app import Litestar
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.connection import Request
    from litestar.datastructures import Cookie
    from litestar.types import TypeEncodersMap

S = TypeVar("S")
T = TypeVar("T")


class PreparedResponse(Response[T]):
    """JSON bytes as a route's answer, whose `ASGIResponse` is built once per route settings.

    The type parameter says what the bytes hold, which is what the OpenAPI
    schema documents; Litestar sends bytes content as it is.
    """

    __slots__ = ("_prepared",)

    def __init__(self, body: bytes) -> None:
        super().__init__(cast(T, body), media_type=MediaType.JSON)
        self._prepared: tuple[tuple[object, ...], ASGIResponse] | None = None

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        """The answer built for the same settings before, else built now and kept.

        A route passes the same settings objects on every request, so the
        check is cheap; anything else (another route, a HEAD answer) gets the
        answer Litestar would build, and the last one is kept.
        """
        settings = (app, background, cookies, encoded_headers, headers, is_head_response,
                    media_type, status_code, type_encoders)
        prepared = self._prepared
        if prepared is not None and prepared[0] == settings:
            return prepared[1]
        answer = super().to_asgi_response(
            app, request, background=background, cookies=cookies,
            encoded_headers=encoded_headers, headers=headers, is_head_response=is_head_response,
            media_type=media_type, status_code=status_code, type_encoders=type_encoders)
        self._prepared = (settings, answer)
        return answer


class EncodedBodies(Generic[S, T]):
    """The JSON of `present(source)`, and its answer, one per live source object."""

    def __init__(self, present: Callable[[S], T]) -> None:
        self._present = present
        self._answers: dict[int, tuple[weakref.ref[S], PreparedResponse[T]]] = {}

    def body(self, source: S) -> bytes:
        """`present(source)` as Litestar would encode it."""
        return cast(bytes, self.response(source).content)

    def response(self, source: S) -> PreparedResponse[T]:
        """`body(source)` as the route's answer, the same object for as long as `source` lives."""
        key = id(source)
        found = self._answers.get(key)
        if found is not None and found[0]() is source:
            return found[1]
        answer: PreparedResponse[T] = PreparedResponse(encode_json(self._present(source)))
        self._answers[key] = (weakref.ref(source, self._forget(key)), answer)
        return answer

    def __len__(self) -> int:
        """How many answers are kept: one per source object still alive."""
        return len(self._answers)

    def _forget(self, key: int) -> Callable[[weakref.ref[S]], None]:
        def forget(dead: weakref.ref[S]) -> None:
            found = self._answers.get(key)
            if found is not None and found[0] is dead:
                del self._answers[key]
        return forget
