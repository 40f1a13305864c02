"""The reporting window of the summary: half-open, in UTC, at most 366 days.

Projections are kept per UTC day; a window whose edges fall inside a day is
answered from the stored whole days plus the orders placed in the partial
edges, so a timestamp window is as exact as a day window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shop.domain.shared.errors import InvalidParameter

DEFAULT_LENGTH = timedelta(days=30)
MAX_LENGTH = timedelta(days=366)
ONE_DAY = timedelta(days=1)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _day_start_at_or_after(moment: datetime) -> datetime:
    start = midnight(moment.date())
    return start if start == moment else start + ONE_DAY


@dataclass(frozen=True)
class SalesWindow:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def resolve(cls, start: datetime | None, end: datetime | None, now: datetime) -> SalesWindow:
        """Fill in missing edges and check the rules.

        No edges: the last 30 days, today included (UTC). Only `end`: the 30 days
        before it. Only `start`: from it until the end of today. `end` must come
        after `start`, and the window may span at most 366 days.
        """
        if end is None:
            end = midnight(now.astimezone(UTC).date()) + ONE_DAY
        if start is None:
            start = end - DEFAULT_LENGTH
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            raise InvalidParameter("to", "`to` must come after `from` (the window is [from, to))")
        if end - start > MAX_LENGTH:
            raise InvalidParameter("to", "the window may span at most 366 days")
        return cls(start, end)

    @property
    def days(self) -> list[date]:
        """Every UTC day the window touches, in order (partial edge days included)."""
        last = (self.end - timedelta(microseconds=1)).date()
        count = (last - self.start.date()).days + 1
        return [self.start.date() + timedelta(days=offset) for offset in range(count)]

    @property
    def whole_days(self) -> tuple[date, date] | None:
        """(first, last) of the days lying wholly inside the window; None if there are none."""
        first = _day_start_at_or_after(self.start)
        after_last = midnight(self.end.date())
        if after_last <= first:
            return None
        return first.date(), (after_last - ONE_DAY).date()

    @property
    def partial_spans(self) -> list[tuple[datetime, datetime]]:
        """The parts of the window outside its whole days, [start, end) each."""
        whole = self.whole_days
        if whole is None:
            return [(self.start, self.end)]
        spans = []
        if self.start < midnight(whole[0]):
            spans.append((self.start, midnight(whole[0])))
        if midnight(whole[1]) + ONE_DAY < self.end:
            spans.append((midnight(whole[1]) + ONE_DAY, self.end))
        return spans
