"""The base shapes of commands and queries, and the UNSET marker for partial updates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

R = TypeVar("R", covariant=True)


@dataclass(frozen=True, kw_only=True)
class Command(Generic[R]):
    """An intent to change state; `R` is what its handler returns."""


@dataclass(frozen=True, kw_only=True)
class Query(Generic[R]):
    """A question about state; `R` is what its handler answers. Queries change nothing."""


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


Unset = _Unset
UNSET: Final = _Unset.UNSET
"""A field left out of a partial update (distinct from an explicit None)."""
