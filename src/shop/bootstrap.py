"""The running shop: the object graph built by the container, with its start and stop.

`ShopRuntime` is what the HTTP app, the CLI and library users hold:

    from shop import Settings, bootstrap
    from shop.application.catalog.commands import CreateCategory

    async with bootstrap(Settings(database_url="sqlite+aiosqlite:///shop.db")) as shop:
        category = await shop.bus.handle(CreateCategory(name="Shoes"))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol

import sqlalchemy as sa
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.errors import AiDisabled
from shop.application.ai.indexer import Progress
from shop.application.customers.commands import EnsureAdmin
from shop.application.messagebus import MessageBus
from shop.application.ordering.commands import SettlePendingOrders
from shop.container import Container
from shop.domain.customers.errors import EmailTaken
from shop.infrastructure.cache.near import NearProductCache
from shop.infrastructure.db.migrate import upgrade_to_head
from shop.infrastructure.events.outbox_consumers import OutboxConsumerRuntime
from shop.infrastructure.events.relay import OutboxRelay
from shop.infrastructure.events.stream_consumers import StreamConsumerRuntime, ensure_groups
from shop.infrastructure.observability.deferred_observations import DEFERRED
from shop.infrastructure.observability.logging import configure_logging
from shop.infrastructure.observability.tracing import untraced
from shop.infrastructure.outages import is_outage
from shop.interfaces.http.realtime.notifier import ChannelsRealtimeNotifier
from shop.settings import Settings

log = logging.getLogger("shop.runtime")


class BackgroundService(Protocol):
    """A task the runtime runs between start and stop (relay, cache invalidation feed)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


READINESS_TIMEOUT_SECONDS = 2.0
STARTUP_WAIT_SECONDS = 120.0
STOP_STEP_TIMEOUT_SECONDS = 10.0


class ShopRuntime:
    """Owns the adapters' lifecycles: the engine, Redis, the outbox relay."""

    def __init__(self, container: Container) -> None:
        """Configure logging first: everything built after it logs in the configured shape."""
        self.container = container
        self.settings: Settings = container.settings()
        configure_logging(self.settings)
        self.bus: MessageBus = container.bus()
        self.engine: AsyncEngine = container.engine()
        self.redis: Redis | None = container.redis()
        self.tracer_provider: TracerProvider | None = container.tracer_provider()
        self.relay: OutboxRelay = container.outbox_relay()
        self.realtime_notifier: ChannelsRealtimeNotifier = container.realtime_notifier()
        self.consumers: OutboxConsumerRuntime | StreamConsumerRuntime = (
            container.consumer_runtime())
        cache = container.product_cache()
        self._background: list[BackgroundService] = [container.process_monitor(), self.relay]
        if isinstance(cache, NearProductCache):
            self._background.append(cache)
        if isinstance(self.consumers, OutboxConsumerRuntime):
            # Embedded: every process consumes from the outbox; with Redis, `shop worker` does.
            self._background.append(self.consumers)
        if self.settings.ai_enabled:
            self._background.append(container.vector_index_catch_up())
        self._started = False

    async def migrate(self) -> None:
        await upgrade_to_head(self.engine)

    async def start(self) -> None:
        """Migrate when configured (the embedded default), then start the outbox relay."""
        if self._started:
            return
        if self.settings.should_migrate_on_start:
            await self._once_available(self.migrate, "migrating the database")
        await self._ensure_consumer_groups()  # before the relay publishes anything
        for service in self._background:
            await self._start_untraced(service)
        self._started = True
        await self._once_available(self.ensure_configured_admin, "ensuring the admin account")
        await self.settle_pending_orders()
        log.info("shop started", extra={"database": self.engine.url.get_backend_name(),
                                        "redis": self.redis is not None})

    async def _once_available(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        """Run a start-up step, waiting out an outage of the database or Redis.

        A worker or server started while PostgreSQL restarts must not die on it (nothing
        would settle the orders it is there for); a service that stays away for
        STARTUP_WAIT_SECONDS still fails the start, loudly, with its error.
        """
        deadline = asyncio.get_running_loop().time() + STARTUP_WAIT_SECONDS
        delay = 0.2
        while True:
            try:
                await step()
                return
            except Exception as error:
                if not is_outage(error) or asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("%s: a service is unavailable (%s); retrying in %.1fs",
                            what, type(error).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def start_consuming(self) -> None:
        """Run the event consumers here too (`shop worker`; embedded runtimes always do)."""
        if self.consumers not in self._background:
            self._background.append(self.consumers)
            if self._started:
                await self._start_untraced(self.consumers)

    async def _start_untraced(self, service: BackgroundService) -> None:
        """Start a background service; its tasks' polls leave no traces (`untraced`)."""
        with untraced():
            await self._once_available(service.start, f"starting {type(service).__name__}")

    async def _ensure_consumer_groups(self) -> None:
        """With Redis, any process's start creates the consumer groups, so the events
        committed before the first worker runs wait for it instead of being skipped."""
        if self.redis is None:
            return
        consumers = self.container.consumers()
        try:
            await ensure_groups(self.redis, self.settings.events_stream, consumers)
        except Exception as error:
            log.warning("consumer groups not ensured (the workers create them): %s", error)

    async def reindex_embeddings(self, progress: Progress | None = None) -> int:
        """Embed every live product again (`shop ai reindex`); how many. AiDisabled when off."""
        indexer = self.container.product_embedding_indexer()
        if indexer is None:
            raise AiDisabled
        return await indexer.reindex_all(progress)

    async def ensure_configured_admin(self) -> None:
        """SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD make sure that admin exists (idempotent)."""
        email, password = self.settings.admin_email, self.settings.admin_password
        if not email or not password:
            return
        try:
            await self.bus.handle(EnsureAdmin(email=email, password=password))
        except EmailTaken:
            # Another process starting at the same moment created it first; now it exists.
            await self.bus.handle(EnsureAdmin(email=email, password=password))
        log.info("admin account ensured", extra={"email": email})

    async def settle_pending_orders(self) -> int:
        """Recovery: settle orders a crash left Pending (older than two payment timeouts)."""
        grace = 2 * self.settings.payment_timeout_seconds
        try:
            settled = await self.bus.handle(SettlePendingOrders(older_than_seconds=grace))
        except Exception:
            log.exception("settling pending orders failed; the next pass will retry")
            return 0
        if settled:
            log.info("settled orders left pending", extra={"orders": settled})
        return settled

    async def stop(self) -> None:
        """Stop the relay (publishing what is pending), close Redis and the engine."""
        if self._started:
            for service in reversed(self._background):
                await self._bounded(service.stop(), f"stopping {type(service).__name__}")
            self._started = False
        await self._bounded(self.container.password_reset_notifier().drain(),
                            "sending the password reset emails in flight")
        if self.redis is not None:
            await self._bounded(self.redis.aclose(), "closing Redis")
        self.container.embedder().close()
        await self._bounded(self.engine.dispose(), "closing the database pool")
        DEFERRED.flush()  # the last statements' durations, before the process goes
        if self.tracer_provider is not None:
            # Exports what is still batched; bounded by the SDK's own export timeout.
            await asyncio.to_thread(self.tracer_provider.force_flush)

    @staticmethod
    async def _bounded(step: Awaitable[None], what: str) -> None:
        """Shutdown must finish: a step that hangs is abandoned and logged, not awaited forever."""
        try:
            await asyncio.wait_for(step, STOP_STEP_TIMEOUT_SECONDS)
        except TimeoutError:
            log.error("%s took longer than %.0f s; abandoned", what, STOP_STEP_TIMEOUT_SECONDS)

    async def readiness(self) -> dict[str, str]:
        checks = {"database": self._check_database()}
        if self.redis is not None:
            checks["redis"] = self._check_redis(self.redis)
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check, READINESS_TIMEOUT_SECONDS)
                results[name] = "ok"
            except Exception as error:
                results[name] = f"unavailable: {type(error).__name__}"
        return results

    async def _check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    @staticmethod
    async def _check_redis(redis: Redis) -> None:
        await redis.ping()


def build_runtime(settings: Settings | None = None) -> ShopRuntime:
    """Wire a runtime (not started). With no settings, read `SHOP_*` from the environment."""
    container = Container(settings=settings or Settings.from_env())
    return ShopRuntime(container)


@asynccontextmanager
async def bootstrap(settings: Settings | None = None) -> AsyncIterator[ShopRuntime]:
    """A started runtime for library use; stopped (and drained) on exit."""
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
