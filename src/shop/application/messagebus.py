"""The message bus: the one way use cases are run, over HTTP or from library code.

`handle` runs a command's handler with a fresh unit of work; once that unit
of work has committed, the events it wrote are handed to the in-process event
handlers (cache invalidation, realtime pushes). Those events are already durable
in the outbox, so a failing event handler is logged and never undoes the
command. `ask` runs a query's handler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar, cast

from shop.application.messages import Command, Query
from shop.application.ports import UnitOfWork, UnitOfWorkFactory
from shop.domain.shared.events import DomainEvent

R = TypeVar("R")
C = TypeVar("C", bound=Command[Any], contravariant=True)
Q = TypeVar("Q", bound=Query[Any], contravariant=True)
E = TypeVar("E", bound=DomainEvent, contravariant=True)

log = logging.getLogger("shop.bus")


class CommandHandler(Protocol[C]):
    async def __call__(self, command: C, uow: UnitOfWork) -> Any: ...


class QueryHandler(Protocol[Q]):
    async def __call__(self, query: Q) -> Any: ...


class UseCaseTracer(Protocol):
    """Where tracing hooks in (OpenTelemetry in infrastructure): a span around each use case."""

    def span(self, name: str) -> AbstractContextManager[None]: ...


EventHandler = Callable[[Any], Awaitable[None]]
AfterCommitHook = Callable[[Sequence[DomainEvent]], None]


class NoHandler(LookupError):
    """The bus was given a message nobody registered a handler for (a wiring bug)."""


class MessageBus:
    """Routes each message to the handler given at construction; the tables never change after.

    `after_commit` hooks (the outbox relay's wake-up) are told about every
    committed batch before the event handlers run.
    """

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        command_handlers: Mapping[type[Command[Any]], CommandHandler[Any]],
        query_handlers: Mapping[type[Query[Any]], QueryHandler[Any]],
        event_handlers: Mapping[type[DomainEvent], Sequence[EventHandler]] | None = None,
        after_commit: Sequence[AfterCommitHook] = (),
        tracer: UseCaseTracer | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._commands = dict(command_handlers)
        self._queries = dict(query_handlers)
        self._events = {event_type: tuple(handlers)
                        for event_type, handlers in (event_handlers or {}).items()}
        self._after_commit = tuple(after_commit)
        self._tracer = tracer

    async def handle(self, command: Command[R]) -> R:
        """Run the command's handler (inside its span when tracing is on)."""
        handler = self._commands.get(type(command))
        if handler is None:
            raise NoHandler(f"no handler for command {type(command).__name__}")
        if self._tracer is None:
            return await self._run_command(handler, command)
        with self._tracer.span(f"command {type(command).__name__}"):
            return await self._run_command(handler, command)

    async def _run_command(self, handler: CommandHandler[Any], command: Command[R]) -> R:
        uow = self._uow_factory()
        try:
            return cast(R, await handler(command, uow))
        finally:
            # A handler may commit and then fail (a declined payment cancels the
            # order it placed): what was committed is still announced.
            events = uow.committed_events()
            if events:
                self._run_after_commit_hooks(events)
                await self.publish(events)

    def _run_after_commit_hooks(self, events: Sequence[DomainEvent]) -> None:
        for hook in self._after_commit:
            try:
                hook(events)
            except Exception:
                log.exception("after-commit hook failed")

    async def ask(self, query: Query[R]) -> R:
        handler = self._queries.get(type(query))
        if handler is None:
            raise NoHandler(f"no handler for query {type(query).__name__}")
        if self._tracer is None:
            return cast(R, await handler(query))
        with self._tracer.span(f"query {type(query).__name__}"):
            return cast(R, await handler(query))

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Run the in-process handlers of committed events, each event in order."""
        for event in events:
            for handler in self._handlers_for(type(event)):
                try:
                    await handler(event)
                except Exception:
                    log.exception(
                        "event handler failed",
                        extra={"event_type": event.type_name, "event_id": str(event.event_id)},
                    )

    def _handlers_for(self, event_type: type[DomainEvent]) -> list[EventHandler]:
        found: list[EventHandler] = []
        for klass in event_type.__mro__:
            found.extend(self._events.get(klass, ()))
        return found
