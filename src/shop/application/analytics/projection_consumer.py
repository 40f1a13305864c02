"""What every analytics projection does with an event: apply it once, in one transaction."""

from __future__ import annotations

from shop.application.analytics.ports import ProjectionSession, ProjectionStore
from shop.application.consumers import ReceivedEvent


class ProjectionConsumer:
    """Base of the projections' consumers: `apply` runs inside the store's claimed transaction,
    so a redelivered event (already in the processed-events record) is skipped whole."""

    name: str
    event_types: frozenset[str]

    def __init__(self, store: ProjectionStore) -> None:
        self._store = store

    async def handle(self, event: ReceivedEvent) -> None:
        async def apply(session: ProjectionSession) -> None:
            await self.apply(session, event)

        await self._store.apply_once(self.name, event.event_id, apply)

    async def apply(self, session: ProjectionSession, event: ReceivedEvent) -> None:
        raise NotImplementedError
