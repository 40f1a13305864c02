"""The composition root: the one place that picks adapters and wires the object graph.

Every adapter is built here, before the message bus, and handed to
`build_message_bus`: nothing subscribes to or hooks the bus afterwards.
Adapters are chosen from `Settings` alone: `database_url` picks SQLite,
PostgreSQL or SQL Server; `redis_url` switches cache, events and the relay's
leader lock from in-process to Redis. Tests override providers
(`container.product_cache.override(...)`) instead of patching modules.
"""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.ai.indexer import ProductEmbeddingIndexer
from shop.application.ai.ports import AiPorts
from shop.application.ai.purchases import CoPurchaseProjection
from shop.application.analytics.query_handlers import SummaryPolicy
from shop.application.analytics.rebuild import RebuildAnalytics
from shop.application.clock import SystemClock
from shop.application.consumer_wiring import build_consumers
from shop.application.consumers import EventConsumer
from shop.application.customers.handlers import TokenPolicy
from shop.application.notifications.password_reset import PasswordResetMailer
from shop.application.notifications.sender import DeliveryPolicy, NotificationSender
from shop.application.wiring import build_message_bus
from shop.infrastructure.ai.index_sync import VectorIndexCatchUp
from shop.infrastructure.ai.model_files import model_files
from shop.infrastructure.ai.numpy_index import NumpyVectorIndex
from shop.infrastructure.ai.onnx_embedder import OnnxEmbedder
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.infrastructure.auth.throttle import (
    InMemoryLoginThrottle,
    RedisLoginThrottle,
    ThrottlePolicy,
)
from shop.infrastructure.auth.tokens import build_token_service
from shop.infrastructure.cache.listings import ListingCachedReadModel, NearListings
from shop.infrastructure.cache.memory import InMemoryProductCache
from shop.infrastructure.cache.near import NearProductCache
from shop.infrastructure.cache.redis import RedisProductCache
from shop.infrastructure.db.account_status import SqlAccountStatus
from shop.infrastructure.db.analytics_projections import SqlProjectionStore
from shop.infrastructure.db.analytics_read_model import SqlAnalyticsReadModel
from shop.infrastructure.db.analytics_rebuild import SqlProjectionRebuilder
from shop.infrastructure.db.catalog_read_model import SqlCatalogReadModel
from shop.infrastructure.db.co_purchases import SqlCoPurchaseStore
from shop.infrastructure.db.customer_read_model import SqlCustomerReadModel
from shop.infrastructure.db.embedding_store import SqlEmbeddingStore
from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.db.keyword_search import SqlKeywordIndex
from shop.infrastructure.db.notification_recipients import SqlRecipients
from shop.infrastructure.db.notification_store import (
    SqlNotificationReadModel,
    SqlNotificationStore,
)
from shop.infrastructure.db.order_read_model import SqlInventoryReadModel, SqlOrderReadModel
from shop.infrastructure.db.product_documents import SqlProductDocuments
from shop.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from shop.infrastructure.events.dead_letters import (
    DeadLetterStore,
    RedisDeadLetters,
    SqlDeadLetters,
)
from shop.infrastructure.events.delivery import ConsumerPolicy
from shop.infrastructure.events.leader_lock import AlwaysLeader, LeaderLock, RedisLeaderLock
from shop.infrastructure.events.outbox_consumers import OutboxConsumerRuntime
from shop.infrastructure.events.publishers import (
    EventPublisher,
    InProcessEventPublisher,
    RedisStreamPublisher,
)
from shop.infrastructure.events.relay import OutboxRelay
from shop.infrastructure.events.relay_wake import RedisRelayWake
from shop.infrastructure.events.stream_consumers import StreamConsumerRuntime
from shop.infrastructure.notifications.detached_delivery import DetachedPasswordResetNotifier
from shop.infrastructure.notifications.mailers import EmlFileMailer, SmtpMailer, SmtpServer
from shop.infrastructure.notifications.templates import JinjaEmailTemplates
from shop.infrastructure.observability.process_monitor import ProcessMonitor
from shop.infrastructure.observability.tracing import (
    SpanTracer,
    build_tracer_provider,
    shop_tracer,
    trace_engine,
    trace_redis,
)
from shop.infrastructure.payments.fake import (
    FakePaymentGateway,
    InMemoryChargeStore,
    RedisChargeStore,
)
from shop.infrastructure.redis_client import build_redis
from shop.interfaces.http.realtime.channels import ChannelNames
from shop.interfaces.http.realtime.notifier import ChannelsRealtimeNotifier
from shop.settings import Settings


def traced_engine(settings: Settings, tracer_provider: TracerProvider | None) -> AsyncEngine:
    built = build_engine(settings)
    if tracer_provider is not None:
        trace_engine(built, tracer_provider)
    return built


def traced_redis(settings: Settings, tracer_provider: TracerProvider | None) -> Redis | None:
    built = build_redis(settings)
    if built is not None and tracer_provider is not None:
        trace_redis(built, tracer_provider)
    return built


def use_case_tracer(tracer_provider: TracerProvider | None) -> SpanTracer | None:
    return None if tracer_provider is None else SpanTracer(tracer_provider)


def optional_tracer(tracer_provider: TracerProvider | None) -> Tracer | None:
    return None if tracer_provider is None else shop_tracer(tracer_provider)


EVENTS_STREAM_MAXLEN = 1_000_000
"""Approximate cap of the events stream, so an unconsumed stream cannot fill Redis."""


def near_listings(settings: Settings, redis: Redis | None) -> NearListings | None:
    """List pages in process memory, kept only where a product cache keeps them coherent.

    With Redis that is the near cache, which uses them while its invalidation
    feed is live. Without Redis the in-process product cache clears them on
    each of this process's writes, the only writes there are (one `shop serve`
    worker), so they are used from the start.
    """
    if settings.near_cache_seconds <= 0:
        return None
    listings = NearListings(ttl_seconds=settings.near_cache_seconds)
    listings.active = redis is None
    return listings


def product_cache(
    settings: Settings, redis: Redis | None, listings: NearListings | None
) -> InMemoryProductCache | RedisProductCache | NearProductCache:
    if redis is None:
        return InMemoryProductCache(ttl_seconds=settings.cache_ttl_seconds, listings=listings)
    shared = RedisProductCache(redis, prefix=settings.redis_prefix,
                               ttl_seconds=settings.cache_ttl_seconds)
    if settings.near_cache_seconds <= 0:
        return shared
    return NearProductCache(shared, redis, channel=f"{settings.redis_prefix}cache:invalidations",
                            ttl_seconds=settings.near_cache_seconds, listings=listings)


def catalog_read_model(
    read_model: SqlCatalogReadModel, listings: NearListings | None
) -> SqlCatalogReadModel | ListingCachedReadModel:
    """The catalog's queries, with list pages served from the near cache when it is on."""
    return read_model if listings is None else ListingCachedReadModel(read_model, listings)


def mailer(settings: Settings) -> SmtpMailer | EmlFileMailer:
    """SHOP_SMTP_URL: that server. Unset (on any profile): `.eml` files under the data dir."""
    if settings.smtp_url:
        return SmtpMailer(SmtpServer.parse(settings.smtp_url), settings.mail_from,
                          settings.mail_timeout_seconds)
    return EmlFileMailer(settings.mail_dir, settings.mail_from)


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(max_attempts=settings.mail_max_attempts,
                          retry_seconds=settings.mail_retry_seconds,
                          send_timeout_seconds=settings.mail_timeout_seconds)


def dead_letter_store(settings: Settings, redis: Redis | None,
                      engine: AsyncEngine) -> DeadLetterStore:
    if redis is None:
        return SqlDeadLetters(engine)
    return RedisDeadLetters(redis, settings.events_stream)


def consumer_runtime(
    settings: Settings,
    redis: Redis | None,
    engine: AsyncEngine,
    consumers: tuple[EventConsumer, ...],
    dead_letters: DeadLetterStore,
    tracer: Tracer | None = None,
) -> OutboxConsumerRuntime | StreamConsumerRuntime:
    """Redis: consumer groups, run by `shop worker`. Embedded: from the outbox, in-process."""
    policy = ConsumerPolicy.of(settings)
    if redis is None:
        return OutboxConsumerRuntime(engine, consumers, dead_letters, policy, tracer=tracer)
    assert isinstance(dead_letters, RedisDeadLetters)
    return StreamConsumerRuntime(redis, settings.events_stream, consumers, dead_letters, policy,
                                 tracer=tracer)


def event_publisher(
    settings: Settings, redis: Redis | None,
    consumers: OutboxConsumerRuntime | StreamConsumerRuntime,
) -> EventPublisher:
    if isinstance(consumers, OutboxConsumerRuntime):
        return InProcessEventPublisher(wake=[consumers.wake])
    assert redis is not None
    return RedisStreamPublisher(redis, settings.events_stream, maxlen=EVENTS_STREAM_MAXLEN)


def relay_lock(settings: Settings, redis: Redis | None) -> LeaderLock:
    if redis is None:
        return AlwaysLeader()
    return RedisLeaderLock(redis, f"{settings.redis_prefix}outbox:relay-leader")


def relay_wake(settings: Settings, redis: Redis | None) -> RedisRelayWake | None:
    """With Redis, a commit in any process wakes the relay's leader; embedded, there is one."""
    if redis is None:
        return None
    return RedisRelayWake(redis, f"{settings.redis_prefix}outbox:wake")


def login_throttle(
    settings: Settings, redis: Redis | None
) -> InMemoryLoginThrottle | RedisLoginThrottle:
    policy = ThrottlePolicy(
        window_seconds=settings.login_window_seconds,
        max_failures_per_account=settings.login_max_failures_per_account,
        max_failures_per_client=settings.login_max_failures_per_client,
    )
    if redis is None:
        return InMemoryLoginThrottle(policy)
    return RedisLoginThrottle(redis, policy, settings.redis_prefix)


def payment_gateway(settings: Settings, redis: Redis | None) -> FakePaymentGateway:
    if settings.payment_gateway != "fake":
        raise ValueError(f"unknown SHOP_PAYMENT_GATEWAY {settings.payment_gateway!r}: "
                         "the built-in gateway is 'fake'")
    if redis is None:
        return FakePaymentGateway(InMemoryChargeStore(), InMemoryChargeStore())
    return FakePaymentGateway(RedisChargeStore(redis, settings.redis_prefix),
                              RedisChargeStore(redis, f"{settings.redis_prefix}refunds:"))


def summary_policy(settings: Settings) -> SummaryPolicy:
    return SummaryPolicy(low_stock_threshold=settings.low_stock_threshold,
                         cache_seconds=settings.analytics_cache_seconds)


def realtime_notifier(settings: Settings) -> ChannelsRealtimeNotifier:
    """One per runtime: every app built on the runtime attaches its feeds plugin to it."""
    return ChannelsRealtimeNotifier(ChannelNames(settings.redis_prefix))


def token_policy(settings: Settings) -> TokenPolicy:
    return TokenPolicy(refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds))


def embedder(settings: Settings) -> OnnxEmbedder:
    """Built cheaply: the model itself loads on first use, in the embedder's thread."""
    return OnnxEmbedder(model_files(settings))


def ai_ports(
    settings: Settings,
    embedder: OnnxEmbedder,
    vectors: NumpyVectorIndex,
    keywords: SqlKeywordIndex,
    views: SqlCatalogReadModel,
    documents: SqlProductDocuments,
    embeddings: SqlEmbeddingStore,
    purchases: SqlCoPurchaseStore,
    demand: SqlAnalyticsReadModel,
) -> AiPorts | None:
    if not settings.ai_enabled:
        return None
    return AiPorts(embedder=embedder, vectors=vectors, keywords=keywords, views=views,
                   documents=documents, embeddings=embeddings, purchases=purchases,
                   demand=demand)


def product_embedding_indexer(ai: AiPorts | None) -> ProductEmbeddingIndexer | None:
    if ai is None:
        return None
    return ProductEmbeddingIndexer(ai.embedder, ai.documents, ai.embeddings, ai.vectors)


def co_purchase_projection(ai: AiPorts | None,
                           orders: SqlOrderReadModel) -> CoPurchaseProjection | None:
    if ai is None:
        return None
    return CoPurchaseProjection(orders, ai.purchases)


def ai_consumers(
    indexer: ProductEmbeddingIndexer | None, co_purchases: CoPurchaseProjection | None
) -> tuple[EventConsumer, ...]:
    return tuple(consumer for consumer in (indexer, co_purchases) if consumer is not None)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    tracer_provider = providers.Singleton(build_tracer_provider, settings)
    """None unless SHOP_OTEL_EXPORTER is set; tests override it with an in-memory exporter's."""
    tracer = providers.Singleton(optional_tracer, tracer_provider)
    """The shop's own spans outside the bus (relay, consumers); None when tracing is off."""
    engine = providers.Singleton(traced_engine, settings, tracer_provider)
    redis = providers.Singleton(traced_redis, settings, tracer_provider)

    listings = providers.Singleton(near_listings, settings, redis)
    product_cache = providers.Singleton(product_cache, settings, redis, listings)
    uow_factory = providers.Singleton(SqlUnitOfWorkFactory, engine)
    product_views = providers.Singleton(SqlCatalogReadModel, engine)
    """The uncached catalog read model: the AI ports read product views by id from it."""
    catalog_read_model = providers.Singleton(catalog_read_model, product_views, listings)
    customer_read_model = providers.Singleton(SqlCustomerReadModel, engine)
    order_read_model = providers.Singleton(SqlOrderReadModel, engine)
    inventory_read_model = providers.Singleton(SqlInventoryReadModel, engine)
    payment_gateway = providers.Singleton(payment_gateway, settings, redis)

    analytics_read_model = providers.Singleton(SqlAnalyticsReadModel, engine)
    """Also the `ProductSalesHistory` (daily units per product) that forecasts read."""
    projection_store = providers.Singleton(SqlProjectionStore, engine, clock)
    rebuild_analytics = providers.Singleton(RebuildAnalytics, providers.Singleton(
        SqlProjectionRebuilder, engine))
    summary_policy = providers.Singleton(summary_policy, settings)

    password_hasher = providers.Singleton(Argon2PasswordHasher)
    token_service = providers.Singleton(build_token_service, settings, clock)
    login_throttle = providers.Singleton(login_throttle, settings, redis)
    token_policy = providers.Singleton(token_policy, settings)
    account_status = providers.Singleton(
        SqlAccountStatus, engine, ttl_seconds=settings.provided.account_status_cache_seconds)

    notification_store = providers.Singleton(SqlNotificationStore, engine)
    notification_read_model = providers.Singleton(SqlNotificationReadModel, engine)
    recipients = providers.Singleton(SqlRecipients, engine)
    mailer = providers.Singleton(mailer, settings)
    notification_sender = providers.Singleton(
        NotificationSender, notification_store, providers.Singleton(JinjaEmailTemplates), mailer,
        clock, providers.Singleton(delivery_policy, settings))
    # The customers context's PasswordResetNotifier: a `password_reset` notification, sent
    # through the same Mailer (SMTP, or `.eml` files under the data directory), after the
    # request has been answered (see detached_delivery.py).
    password_reset_notifier = providers.Singleton(
        DetachedPasswordResetNotifier,
        providers.Singleton(PasswordResetMailer, notification_sender, recipients, clock))

    embedder = providers.Singleton(embedder, settings)
    vector_index = providers.Singleton(NumpyVectorIndex)
    keyword_index = providers.Singleton(SqlKeywordIndex, engine)
    embedding_store = providers.Singleton(SqlEmbeddingStore, engine, clock)
    product_documents = providers.Singleton(SqlProductDocuments, engine)
    co_purchase_store = providers.Singleton(SqlCoPurchaseStore, engine, clock)
    ai = providers.Singleton(ai_ports, settings, embedder, vector_index, keyword_index,
                             product_views, product_documents, embedding_store,
                             co_purchase_store, analytics_read_model)
    product_embedding_indexer = providers.Singleton(product_embedding_indexer, ai)
    co_purchase_projection = providers.Singleton(co_purchase_projection, ai, order_read_model)
    vector_index_catch_up = providers.Singleton(
        VectorIndexCatchUp, embedding_store, vector_index, embedder,
        every_seconds=settings.provided.ai_index_refresh_seconds,
    )

    consumers = providers.Singleton(
        build_consumers,
        notification_sender=notification_sender,
        recipients=recipients,
        order_read_model=order_read_model,
        catalog_read_model=catalog_read_model,
        low_stock_threshold=settings.provided.low_stock_threshold,
        projection_store=projection_store,
        ai_consumers=providers.Callable(ai_consumers, product_embedding_indexer,
                                        co_purchase_projection),
    )
    dead_letters = providers.Singleton(dead_letter_store, settings, redis, engine)
    consumer_runtime = providers.Singleton(consumer_runtime, settings, redis, engine, consumers,
                                           dead_letters, tracer)
    event_publisher = providers.Singleton(event_publisher, settings, redis, consumer_runtime)
    relay_lock = providers.Singleton(relay_lock, settings, redis)
    outbox_relay = providers.Singleton(
        OutboxRelay,
        engine,
        event_publisher,
        relay_lock,
        batch_size=settings.provided.outbox_batch_size,
        poll_seconds=settings.provided.outbox_poll_seconds,
        cross_process_wake=providers.Singleton(relay_wake, settings, redis),
        tracer=tracer,
    )

    process_monitor = providers.Singleton(
        ProcessMonitor,
        memory_warn_mb=settings.provided.memory_warn_mb,
        metrics_dir=settings.provided.metrics_dir,
    )
    realtime_notifier = providers.Singleton(realtime_notifier, settings)

    bus = providers.Singleton(
        build_message_bus,
        uow_factory=uow_factory,
        catalog_read_model=catalog_read_model,
        product_cache=product_cache,
        customer_read_model=customer_read_model,
        password_hasher=password_hasher,
        token_service=token_service,
        login_throttle=login_throttle,
        token_policy=token_policy,
        password_reset_notifier=password_reset_notifier,
        account_status=account_status,
        order_read_model=order_read_model,
        inventory_read_model=inventory_read_model,
        payment_gateway=payment_gateway,
        payment_timeout_seconds=settings.provided.payment_timeout_seconds,
        analytics_read_model=analytics_read_model,
        summary_policy=summary_policy,
        notification_read_model=notification_read_model,
        clock=clock,
        realtime_notifier=realtime_notifier,
        # A commit wakes the relay, so events leave the outbox without waiting for its poll.
        after_commit=providers.List(outbox_relay.provided.wake),
        tracer=providers.Singleton(use_case_tracer, tracer_provider),
        ai=ai,
        indexer=product_embedding_indexer,
    )
