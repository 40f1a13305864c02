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
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from litestar import Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

S = TypeVar("S")
T = TypeVar("T")


class EncodedBodies(Generic[S, T]):
    """The JSON of `present(source)`, one per live source object."""

    def __init__(self, present: Callable[[S], T]) -> None:
        self._present = present
        self._bodies: dict[int, tuple[weakref.ref[S], bytes]] = {}

    def body(self, source: S) -> bytes:
        """`present(source)` as Litestar would encode it."""
        key = id(source)
        found = self._bodies.get(key)
        if found is not None and found[0]() is source:
            return found[1]
        body = encode_json(self._present(source))
        self._bodies[key] = (weakref.ref(source, self._forget(key)), body)
        return body

    def response(self, source: S) -> Response[T]:
        """`body(source)` as the route's answer. Litestar sends bytes content as it is; the type
        parameter says what the bytes hold, which is what the OpenAPI schema documents."""
        return Response(cast(T, self.body(source)), media_type=MediaType.JSON)

    def __len__(self) -> int:
        """How many bodies are kept: one per source object still alive."""
        return len(self._bodies)

    def _forget(self, key: int) -> Callable[[weakref.ref[S]], None]:
        def forget(dead: weakref.ref[S]) -> None:
            found = self._bodies.get(key)
            if found is not None and found[0] is dead:
                del self._bodies[key]
        return forget
