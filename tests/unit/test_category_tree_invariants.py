"""Whatever moves are asked for, the categories stay a forest: no category is its own ancestor.

The moves go through the real UpdateCategory handler on the message bus; the
oracle is independent of it: a move must be refused exactly when applying it
to the parent links would close a loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shop.application.catalog.commands import CreateCategory, DeleteCategory, UpdateCategory
from shop.application.catalog.queries import GetCategoryTree
from shop.application.catalog.views import CategoryNode
from shop.domain.catalog.errors import CategoryCycle, CategoryInUse

from .fakes import FakeShop, build_fake_shop

T = TypeVar("T")
ParentMap = Mapping[uuid.UUID, uuid.UUID | None]

MAX_CATEGORIES = 8


def has_cycle(parents: ParentMap) -> bool:
    """True if walking up from some category comes back to a category already visited."""
    for start in parents:
        visited: set[uuid.UUID] = set()
        current: uuid.UUID | None = start
        while current is not None:
            if current in visited:
                return True
            visited.add(current)
            current = parents[current]
    return False


def assert_every_walk_to_the_root_terminates(parents: ParentMap) -> None:
    for start in parents:
        current: uuid.UUID | None = start
        for _ in range(len(parents) + 1):
            if current is None:
                break
            assert current in parents, f"dangling parent link to {current}"
            current = parents[current]
        else:
            pytest.fail(f"walking up from {start} never reaches a root")


@st.composite
def forests(draw: st.DrawFn) -> list[int | None]:
    """Parent index of each category: None for a root, else an earlier category."""
    size = draw(st.integers(min_value=1, max_value=MAX_CATEGORIES))
    return [
        draw(st.none() | st.integers(min_value=0, max_value=i - 1)) if i else None
        for i in range(size)
    ]


moves = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=MAX_CATEGORIES - 1),
        st.none() | st.integers(min_value=0, max_value=MAX_CATEGORIES - 1),
    ),
    max_size=20,
)


async def plant(catalog: FakeShop, parents: list[int | None]) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for index, parent in enumerate(parents):
        created = await catalog.bus.handle(
            CreateCategory(name=f"c{index}", parent_id=None if parent is None else ids[parent])
        )
        ids.append(created.id)
    return ids


@settings(max_examples=150, deadline=None)
@given(forests(), moves)
def test_random_moves_never_make_a_category_its_own_ancestor(
    forest: list[int | None], requested: list[tuple[int, int | None]]
) -> None:
    async def scenario() -> None:
        catalog = build_fake_shop()
        ids = await plant(catalog, forest)
        expected = catalog.store.parent_map()

        for child_index, parent_index in requested:
            child = ids[child_index % len(ids)]
            parent = None if parent_index is None else ids[parent_index % len(ids)]
            command = UpdateCategory(category_id=child, parent_id=parent)
            if has_cycle({**expected, child: parent}):
                with pytest.raises(CategoryCycle):
                    await catalog.bus.handle(command)
            else:
                moved = await catalog.bus.handle(command)
                assert moved.parent_id == parent
                expected[child] = parent
            assert catalog.store.parent_map() == expected
            assert_every_walk_to_the_root_terminates(catalog.store.parent_map())

    asyncio.run(scenario())


def count_nodes(nodes: list[CategoryNode]) -> int:
    return sum(1 + count_nodes(node.children) for node in nodes)


class CategoryForest(RuleBasedStateMachine):
    """Create, move and delete categories at random; the forest holds after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.catalog = build_fake_shop()
        self.model: dict[uuid.UUID, uuid.UUID | None] = {}
        self.ids: list[uuid.UUID] = []

    def teardown(self) -> None:
        self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def pick(self, index: int | None) -> uuid.UUID | None:
        live = [i for i in self.ids if i in self.model]
        if index is None or not live:
            return None
        return live[index % len(live)]

    @initialize()
    def a_root(self) -> None:
        self.create(None)

    @rule(parent=st.none() | st.integers(min_value=0))
    def create(self, parent: int | None) -> None:
        parent_id = self.pick(parent)
        created = self.run(
            self.catalog.bus.handle(CreateCategory(name=f"c{len(self.ids)}", parent_id=parent_id))
        )
        self.ids.append(created.id)
        self.model[created.id] = parent_id

    @rule(child=st.integers(min_value=0), parent=st.none() | st.integers(min_value=0))
    def move(self, child: int, parent: int | None) -> None:
        child_id = self.pick(child)
        assert child_id is not None
        parent_id = self.pick(parent)
        command = UpdateCategory(category_id=child_id, parent_id=parent_id)
        if has_cycle({**self.model, child_id: parent_id}):
            with pytest.raises(CategoryCycle):
                self.run(self.catalog.bus.handle(command))
        else:
            self.run(self.catalog.bus.handle(command))
            self.model[child_id] = parent_id

    @rule(victim=st.integers(min_value=0))
    def delete(self, victim: int) -> None:
        if len(self.model) == 1:
            return  # keep one, so moves always have something to move
        victim_id = self.pick(victim)
        assert victim_id is not None
        command = DeleteCategory(category_id=victim_id)
        if victim_id in self.model.values():
            with pytest.raises(CategoryInUse):
                self.run(self.catalog.bus.handle(command))
        else:
            self.run(self.catalog.bus.handle(command))
            del self.model[victim_id]

    @invariant()
    def the_store_holds_exactly_the_expected_links(self) -> None:
        assert self.catalog.store.parent_map() == self.model

    @invariant()
    def every_walk_up_reaches_a_root(self) -> None:
        assert_every_walk_to_the_root_terminates(self.catalog.store.parent_map())

    @invariant()
    def the_tree_shows_every_category_exactly_once(self) -> None:
        tree = self.run(self.catalog.bus.ask(GetCategoryTree()))
        assert count_nodes(tree) == len(self.model)


CategoryForest.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestCategoryForest = CategoryForest.TestCase
