"""Category bodies: what clients send to create or change one and what they read back."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from shop.application.catalog.commands import CreateCategory, UpdateCategory
from shop.application.catalog.views import CategoryNode, CategoryView
from shop.interfaces.http.dto.fields import Name, unset_to_app


class CreateCategoryRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new category, at the top level or under `parent_id`."""

    name: Name
    parent_id: uuid.UUID | None = None

    def to_command(self) -> CreateCategory:
        return CreateCategory(name=self.name, parent_id=self.parent_id)


class UpdateCategoryRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A partial change: absent fields stay as they are; `parent_id: null` moves it to the top."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    parent_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET

    def to_command(self, category_id: uuid.UUID) -> UpdateCategory:
        return UpdateCategory(
            category_id=category_id,
            name=unset_to_app(self.name),
            parent_id=unset_to_app(self.parent_id),
        )


class CategoryResponse(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def from_view(cls, view: CategoryView) -> CategoryResponse:
        return cls(id=view.id, name=view.name, parent_id=view.parent_id, created_at=view.created_at)


class CategoryNodeResponse(msgspec.Struct, kw_only=True):
    """One category of the tree with its subcategories, nested to any depth."""

    id: uuid.UUID
    name: str
    children: list[CategoryNodeResponse]


def category_tree(roots: list[CategoryNode]) -> list[CategoryNodeResponse]:
    """Present the tree iteratively (an explicit stack), so depth never hits the recursion limit."""
    top: list[CategoryNodeResponse] = []
    pending: list[tuple[CategoryNode, list[CategoryNodeResponse]]] = [
        (node, top) for node in reversed(roots)
    ]
    while pending:
        node, siblings = pending.pop()
        presented = CategoryNodeResponse(id=node.id, name=node.name, children=[])
        siblings.append(presented)
        pending.extend((child, presented.children) for child in reversed(node.children))
    return top
