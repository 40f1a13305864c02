"""Shapes shared by every resource: the list envelope and money as text."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Generic, TypeVar

import msgspec

from shop.application.paging import PageOf

T = TypeVar("T")
V = TypeVar("V")


class PageResponse(msgspec.Struct, Generic[T], kw_only=True):
    """Every list answers this envelope, so clients page through all resources the same way."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page_response(page: PageOf[V], present: Callable[[V], T]) -> PageResponse[T]:
    """Present each item of an application page with `present`, keeping the paging numbers."""
    return PageResponse(
        items=[present(item) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def money_text(amount: Decimal) -> str:
    """Money on the wire: a string with exactly two fraction digits, never a float."""
    return f"{amount:.2f}"


def money_amount(text: str | None) -> Decimal | None:
    """An already pattern-checked decimal string (or nothing) as an exact Decimal."""
    return None if text is None else Decimal(text)
