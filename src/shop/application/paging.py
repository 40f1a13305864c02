"""Paging of list queries: the contract's `limit` (1..100, default 20) and `offset`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shop.application.messages import Query

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_OFFSET = 2**53 - 1
"""The largest offset: every database takes it (they take 64 bits) and every JSON client
holds it exactly (JavaScript's largest safe integer), so the documented bound is exact."""


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"offset must be between 0 and {MAX_OFFSET}")


@dataclass(frozen=True)
class PageOf(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class PageQuery(Query[PageOf[T]], Generic[T]):
    """A query that answers one page of a list: every list takes its `page` this one way."""

    page: Page = field(default_factory=Page)
