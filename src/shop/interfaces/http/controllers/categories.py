"""`/api/v1/categories`: the category tree products are filed under.

Reads are open to anyone; every write needs an admin's access token.
"""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody

from shop.application.catalog.commands import DeleteCategory
from shop.application.catalog.queries import GetCategoryById, GetCategoryTree, ListCategories
from shop.interfaces.http.auth import SECURED, admin_only
from shop.interfaces.http.dependencies import Bus, Listing, ResourceId
from shop.interfaces.http.dto.categories import (
    CategoryNodeResponse,
    CategoryResponse,
    CreateCategoryRequest,
    UpdateCategoryRequest,
    category_tree,
)
from shop.interfaces.http.dto.common import PageResponse, page_response
from shop.interfaces.http.dto.strict import StrictJSON
from shop.interfaces.http.problems import error_responses

BAD_REQUEST = "The body or a parameter breaks the schema (unknown field, wrong type, limit)."
NO_SUCH_CATEGORY = "No category has this id."
UNKNOWN_PARENT = "`parent_id` names no existing category, or a value breaks a catalog rule."


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["categories"]

    @post(
        "/",
        dto=StrictJSON[CreateCategoryRequest],
        guards=[admin_only],
        security=SECURED,
        summary="Create a category",
        description="At the top level, or under `parent_id`.",
        responses=error_responses({400: BAD_REQUEST, 422: UNKNOWN_PARENT}),
    )
    async def create_category(
        self, data: JSONBody[CreateCategoryRequest], bus: Bus
    ) -> CategoryResponse:
        return CategoryResponse.from_view(await bus.handle(data.to_command()))

    @get(
        "/",
        summary="List categories",
        description="Every category as a flat, paged list; see `/tree` for the nesting.",
        responses=error_responses({400: BAD_REQUEST}),
    )
    async def list_categories(self, listing: Listing) -> PageResponse[CategoryResponse]:
        categories = await listing.bus.ask(ListCategories(page=listing.page))
        return page_response(categories, CategoryResponse.from_view)

    @get(
        "/tree",
        summary="The category tree",
        description="Top-level categories with their subcategories nested to any depth, "
        "siblings sorted by name.",
        responses=error_responses(),
    )
    async def get_category_tree(self, bus: Bus) -> list[CategoryNodeResponse]:
        return category_tree(await bus.ask(GetCategoryTree()))

    @get(
        "/{category_id:uuid}",
        summary="Get a category",
        responses=error_responses({404: NO_SUCH_CATEGORY}),
    )
    async def get_category(self, category_id: ResourceId, bus: Bus) -> CategoryResponse:
        return CategoryResponse.from_view(await bus.ask(GetCategoryById(category_id=category_id)))

    @patch(
        "/{category_id:uuid}",
        dto=StrictJSON[UpdateCategoryRequest],
        guards=[admin_only],
        security=SECURED,
        summary="Rename or move a category",
        description="Absent fields stay as they are; `parent_id: null` moves it to the top level. "
        "Moving a category under itself or one of its descendants answers 409.",
        responses=error_responses({
            400: BAD_REQUEST,
            404: NO_SUCH_CATEGORY,
            409: "The move would make the category its own ancestor.",
            422: UNKNOWN_PARENT,
        }),
    )
    async def update_category(
        self, category_id: ResourceId, data: JSONBody[UpdateCategoryRequest], bus: Bus
    ) -> CategoryResponse:
        return CategoryResponse.from_view(await bus.handle(data.to_command(category_id)))

    @delete(
        "/{category_id:uuid}",
        guards=[admin_only],
        security=SECURED,
        summary="Delete a category",
        description="Only an empty category can go: "
        "one with products or subcategories answers 409.",
        responses=error_responses({
            404: NO_SUCH_CATEGORY,
            409: "The category still has products or subcategories.",
        }),
    )
    async def delete_category(self, category_id: ResourceId, bus: Bus) -> None:
        await bus.handle(DeleteCategory(category_id=category_id))
