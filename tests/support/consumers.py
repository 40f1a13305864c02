"""Test doubles of event consumers and the waiting that asynchronous delivery needs."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable

from dependency_injector import providers

from shop.application.consumers import EventConsumer, ReceivedEvent
from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.infrastructure.events.dead_letters import DeadLetter, DeadLetterStore
from shop.settings import Settings

WAIT_SECONDS = 30.0


class RecordingConsumer:
    """Remembers what it handled; fails its first `failures` calls (or every call)."""

    def __init__(self, name: str, event_types: frozenset[str] | set[str], *,
                 failures: int = 0, always_fail: bool = False) -> None:
        self._name = name
        self._event_types = frozenset(event_types)
        self.failures_left = failures
        self.always_fail = always_fail
        self.calls = 0
        self.handled: list[ReceivedEvent] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def event_types(self) -> frozenset[str]:
        return self._event_types

    async def handle(self, event: ReceivedEvent) -> None:
        self.calls += 1
        if self.always_fail or self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("the mail server said no")
        self.handled.append(event)

    @property
    def handled_ids(self) -> list[str]:
        return [str(event.event_id) for event in self.handled]


async def eventually(condition: Callable[[], object], what: str) -> None:
    """Wait until `condition()` is true; fail with `what` if it never is.

    The condition may return an awaitable, for what only a query can see (a
    Redis key, a stream's entries): its result is what counts."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await _holds(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


async def _holds(condition: Callable[[], object]) -> bool:
    answer = condition()
    return bool(await answer if inspect.isawaitable(answer) else answer)


def runtime_with_consumers(settings: Settings, *consumers: EventConsumer) -> ShopRuntime:
    """The composition root's runtime with these consumers in place of the shop's own."""
    container = Container(settings=settings)
    container.consumers.override(providers.Object(tuple(consumers)))
    return ShopRuntime(container)


async def kept_letters(store: DeadLetterStore) -> list[DeadLetter]:
    """The dead letters, once there is at least one."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (letters := await store.oldest(10)):
        if time.monotonic() > deadline:
            raise AssertionError("no dead letter was kept")
        await asyncio.sleep(0.02)
    return letters
