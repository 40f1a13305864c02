"""Categories form a forest: each has at most one parent and never descends from itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shop.domain.catalog.errors import CategoryCycle
from shop.domain.catalog.events import CategoryCreated, CategoryDeleted, CategoryUpdated
from shop.domain.catalog.names import clean_name
from shop.domain.shared.events import EventRecorder


@dataclass(eq=False)
class Category(EventRecorder):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls, *, id: uuid.UUID, name: str, parent_id: uuid.UUID | None, now: datetime
    ) -> Category:
        category = cls(id=id, name=clean_name(name), parent_id=parent_id,
                       created_at=now, updated_at=now)
        category.record(CategoryCreated(category_id=id, name=category.name, parent_id=parent_id))
        return category

    def rename(self, name: str, now: datetime) -> None:
        self.name = clean_name(name)
        self.updated_at = now

    def move_under(
        self, parent_id: uuid.UUID | None, parent_lineage: Iterable[uuid.UUID], now: datetime
    ) -> None:
        """Re-parent the category.

        `parent_lineage` is the new parent followed by all of its ancestors up to
        a root. If this category appears in it, the move would make the
        category its own ancestor, which the tree forbids.
        """
        if parent_id is not None and (parent_id == self.id or self.id in set(parent_lineage)):
            raise CategoryCycle(self.id, parent_id)
        self.parent_id = parent_id
        self.updated_at = now

    def mark_updated(self) -> None:
        self.record(CategoryUpdated(category_id=self.id, name=self.name, parent_id=self.parent_id))

    def mark_deleted(self) -> None:
        self.record(CategoryDeleted(category_id=self.id))
