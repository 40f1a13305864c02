"""The JSON body of a list page, encoded once for each page object the read side hands out.

With the near cache on, a product list page comes from the in-process
listings cache (`infrastructure/cache/listings.py`), which hands the very same
`PageOf` object to every reader until a change drops it. Presenting its items
and encoding them was most of what such a request cost over `/health/live`
(`bench/README.md`, `catalog_read.py`), and it gives the same bytes for the
same page every time. So the body is kept for as long as that page object
lives, keyed by its identity, not its value:

- a page read anew (a miss, an expired entry, no listings cache at all) is a
  new object and is encoded anew;
- a page a write dropped is never handed out again, so neither is its body;
  and the body goes when the page is garbage collected, so the bodies kept
  are bounded by the pages the listings cache keeps (2,000 at most).

Coherence therefore stays the listings cache's: nothing here can answer a page
the read side would not have answered. Pages are not changed once answered
(the listings cache shares each one between readers on the same assumption).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from litestar import Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from shop.application.paging import PageOf
from shop.interfaces.http.dto.common import PageResponse, page_response

V = TypeVar("V")
T = TypeVar("T")


class EncodedPages(Generic[V, T]):
    """Bodies of pages presented item by item with `present`, one per live page object."""

    def __init__(self, present: Callable[[V], T]) -> None:
        self._present = present
        self._bodies: dict[int, tuple[weakref.ref[PageOf[V]], bytes]] = {}

    def body(self, page: PageOf[V]) -> bytes:
        """The page as JSON: the envelope of `page_response`, as Litestar would encode it."""
        key = id(page)
        found = self._bodies.get(key)
        if found is not None and found[0]() is page:
            return found[1]
        body = encode_json(page_response(page, self._present))
        self._bodies[key] = (weakref.ref(page, self._forget(key)), body)
        return body

    def response(self, page: PageOf[V]) -> Response[PageResponse[T]]:
        """`body(page)` as the route's answer. Litestar sends bytes content as it is; the type
        parameter says what the bytes hold, which is what the OpenAPI schema documents."""
        return Response(cast(PageResponse[T], self.body(page)), media_type=MediaType.JSON)

    def __len__(self) -> int:
        """How many bodies are kept: one per page object still alive."""
        return len(self._bodies)

    def _forget(self, key: int) -> Callable[[weakref.ref[PageOf[V]]], None]:
        def forget(dead: weakref.ref[PageOf[V]]) -> None:
            found = self._bodies.get(key)
            if found is not None and found[0] is dead:
                del self._bodies[key]
        return forget
