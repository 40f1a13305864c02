"""Builds the message bus of every use case from the ports' implementations.

The composition root calls this once, with every adapter already built (the
realtime notifier and the relay's wake-up included); tests call it with
in-memory fakes. This is the one table of handlers: the bus it returns is
never subscribed to or hooked afterwards, so nothing can be wired twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shop.application.ai import queries as aq
from shop.application.ai.category_suggestions import SuggestCategoriesHandler
from shop.application.ai.indexer import ProductEmbeddingIndexer
from shop.application.ai.ports import AiPorts
from shop.application.ai.recommendations import (
    RecommendForCustomerHandler,
    RecommendForProductHandler,
)
from shop.application.ai.search import SearchProductsHandler
from shop.application.ai.stockouts import ForecastStockoutsHandler
from shop.application.ai.switch import RefuseWhileAiDisabled
from shop.application.analytics.ports import AnalyticsReadModel
from shop.application.analytics.queries import GetSalesSummary
from shop.application.analytics.query_handlers import GetSalesSummaryHandler, SummaryPolicy
from shop.application.catalog import commands as catalog_commands
from shop.application.catalog import queries as catalog_queries
from shop.application.catalog.event_handlers import InvalidateCachedProduct
from shop.application.catalog.handlers import (
    CreateCategoryHandler,
    CreateProductHandler,
    DeleteCategoryHandler,
    DeleteProductHandler,
    UpdateCategoryHandler,
    UpdateProductHandler,
)
from shop.application.catalog.ports import CatalogReadModel, ProductCache
from shop.application.catalog.query_handlers import (
    GetCategoryByIdHandler,
    GetCategoryTreeHandler,
    GetProductByIdHandler,
    ListCategoriesHandler,
    ListProductsHandler,
)
from shop.application.customers import commands as customer_commands
from shop.application.customers import queries as customer_queries
from shop.application.customers.account_status_handlers import (
    ForgetCachedAccountStatus,
    SetCustomerDisabledHandler,
)
from shop.application.customers.handlers import (
    EnsureAdminHandler,
    IssueTokensHandler,
    LogoutHandler,
    RefreshTokensHandler,
    RegisterCustomerHandler,
    TokenIssuer,
    TokenPolicy,
    UpdateProfileHandler,
)
from shop.application.customers.password_handlers import (
    ChangePasswordHandler,
    ConfirmPasswordResetHandler,
    RequestPasswordResetHandler,
)
from shop.application.customers.ports import (
    AccountStatus,
    CustomerReadModel,
    LoginThrottle,
    PasswordHasher,
    PasswordResetNotifier,
    TokenService,
)
from shop.application.customers.query_handlers import GetCustomerHandler, ListCustomersHandler
from shop.application.inventory import commands as inventory_commands
from shop.application.inventory import queries as inventory_queries
from shop.application.inventory.handlers import AdjustStockHandler, SetStockHandler
from shop.application.inventory.ports import InventoryReadModel
from shop.application.inventory.query_handlers import GetStockHandler
from shop.application.messagebus import (
    AfterCommitHook,
    EventHandler,
    MessageBus,
    QueryHandler,
    UseCaseTracer,
)
from shop.application.messages import Query
from shop.application.notifications.ports import NotificationReadModel
from shop.application.notifications.queries import ListNotifications
from shop.application.notifications.query_handlers import ListNotificationsHandler
from shop.application.ordering import commands as ordering_commands
from shop.application.ordering import queries as ordering_queries
from shop.application.ordering.lifecycle import CancelOrderHandler, ShipOrderHandler
from shop.application.ordering.placing import PlaceOrderHandler, SettlePendingOrdersHandler
from shop.application.ordering.ports import OrderReadModel, PaymentGateway
from shop.application.ordering.query_handlers import GetOrderHandler, ListOrdersHandler
from shop.application.ordering.settlement import OrderSettlement
from shop.application.ports import Clock, UnitOfWorkFactory
from shop.application.realtime.event_handlers import PushRealtimeChanges
from shop.application.realtime.ports import RealtimeNotifier
from shop.domain.catalog.events import (
    CategoryCreated,
    CategoryDeleted,
    CategoryUpdated,
    ProductCreated,
    ProductDeleted,
    ProductUpdated,
)
from shop.domain.customers.events import CustomerDisabled, CustomerEnabled
from shop.domain.inventory.events import StockChanged
from shop.domain.ordering.events import OrderEvent
from shop.domain.shared.events import DomainEvent

EventHandlerTable = Mapping[type[DomainEvent], Sequence[EventHandler]]


def build_message_bus(
    *,
    uow_factory: UnitOfWorkFactory,
    catalog_read_model: CatalogReadModel,
    product_cache: ProductCache,
    customer_read_model: CustomerReadModel,
    password_hasher: PasswordHasher,
    token_service: TokenService,
    login_throttle: LoginThrottle,
    token_policy: TokenPolicy,
    password_reset_notifier: PasswordResetNotifier,
    account_status: AccountStatus,
    order_read_model: OrderReadModel,
    inventory_read_model: InventoryReadModel,
    payment_gateway: PaymentGateway,
    payment_timeout_seconds: float,
    analytics_read_model: AnalyticsReadModel,
    notification_read_model: NotificationReadModel,
    clock: Clock,
    summary_policy: SummaryPolicy | None = None,
    realtime_notifier: RealtimeNotifier,
    after_commit: Sequence[AfterCommitHook] = (),
    observers: EventHandlerTable | None = None,
    tracer: UseCaseTracer | None = None,
    ai: AiPorts | None = None,
    indexer: ProductEmbeddingIndexer | None = None,
) -> MessageBus:
    """`observers` are event handlers of the embedding program, run after the application's own.

    (A library user's in-process reaction, a test's recorder.) `after_commit`
    hooks hear every committed batch first: the outbox relay's wake-up.

    `ai` None (`SHOP_AI_ENABLED=false`): every AI query answers `AiDisabled`.
    """
    invalidate = InvalidateCachedProduct(product_cache)
    push = PushRealtimeChanges(realtime_notifier)
    forget_status = ForgetCachedAccountStatus(account_status)
    issuer = TokenIssuer(token_service, token_policy, clock)
    settlement = OrderSettlement(payment_gateway, clock)
    return MessageBus(
        uow_factory=uow_factory,
        command_handlers={
            catalog_commands.CreateCategory: CreateCategoryHandler(clock),
            catalog_commands.UpdateCategory: UpdateCategoryHandler(clock),
            catalog_commands.DeleteCategory: DeleteCategoryHandler(),
            catalog_commands.CreateProduct: CreateProductHandler(clock),
            catalog_commands.UpdateProduct: UpdateProductHandler(clock),
            catalog_commands.DeleteProduct: DeleteProductHandler(clock),
            customer_commands.RegisterCustomer: RegisterCustomerHandler(password_hasher, clock),
            customer_commands.IssueTokens: IssueTokensHandler(
                password_hasher, login_throttle, issuer, clock),
            customer_commands.RefreshTokens: RefreshTokensHandler(issuer, clock),
            customer_commands.UpdateProfile: UpdateProfileHandler(clock),
            customer_commands.EnsureAdmin: EnsureAdminHandler(password_hasher, clock),
            customer_commands.Logout: LogoutHandler(clock),
            customer_commands.ChangePassword: ChangePasswordHandler(
                password_hasher, login_throttle, clock),
            customer_commands.RequestPasswordReset: RequestPasswordResetHandler(
                login_throttle, password_reset_notifier, clock, token_policy),
            customer_commands.ConfirmPasswordReset: ConfirmPasswordResetHandler(
                password_hasher, clock),
            customer_commands.SetCustomerDisabled: SetCustomerDisabledHandler(clock),
            ordering_commands.PlaceOrder: PlaceOrderHandler(
                payment_gateway, settlement, clock, payment_timeout_seconds),
            ordering_commands.ShipOrder: ShipOrderHandler(clock),
            ordering_commands.CancelOrder: CancelOrderHandler(payment_gateway, settlement),
            ordering_commands.SettlePendingOrders: SettlePendingOrdersHandler(
                payment_gateway, settlement, clock),
            inventory_commands.AdjustStock: AdjustStockHandler(clock),
            inventory_commands.SetStock: SetStockHandler(clock),
        },
        query_handlers={
            catalog_queries.GetProductById: GetProductByIdHandler(
                catalog_read_model, product_cache),
            catalog_queries.ListProducts: ListProductsHandler(catalog_read_model),
            catalog_queries.GetCategoryById: GetCategoryByIdHandler(catalog_read_model),
            catalog_queries.ListCategories: ListCategoriesHandler(catalog_read_model),
            catalog_queries.GetCategoryTree: GetCategoryTreeHandler(catalog_read_model),
            customer_queries.GetCustomer: GetCustomerHandler(customer_read_model),
            customer_queries.ListCustomers: ListCustomersHandler(customer_read_model),
            ordering_queries.GetOrder: GetOrderHandler(order_read_model),
            ordering_queries.ListOrders: ListOrdersHandler(order_read_model),
            inventory_queries.GetStock: GetStockHandler(inventory_read_model),
            GetSalesSummary: GetSalesSummaryHandler(analytics_read_model, clock, summary_policy),
            ListNotifications: ListNotificationsHandler(notification_read_model),
            **ai_query_handlers(ai, catalog_read_model, clock),
        },
        event_handlers=_merged({
            ProductCreated: [invalidate.on_listing_changed],
            CategoryCreated: [invalidate.on_listing_changed],
            CategoryUpdated: [invalidate.on_listing_changed],
            CategoryDeleted: [invalidate.on_listing_changed],
            ProductUpdated: [invalidate.on_product_changed],
            ProductDeleted: [invalidate.on_product_changed,
                             *([indexer.on_product_deleted] if indexer else [])],
            # OrderEvent is the base of every order event: placed, paid, shipped, cancelled.
            StockChanged: [invalidate.on_stock_changed, push.on_stock_changed],
            OrderEvent: [push.on_order_event],
            CustomerDisabled: [forget_status.on_status_changed],
            CustomerEnabled: [forget_status.on_status_changed],
        }, observers or {}),
        after_commit=after_commit,
        tracer=tracer,
    )


def _merged(own: EventHandlerTable, observers: EventHandlerTable) -> EventHandlerTable:
    merged = {event_type: list(handlers) for event_type, handlers in own.items()}
    for event_type, handlers in observers.items():
        merged.setdefault(event_type, []).extend(handlers)
    return merged


def ai_query_handlers(
    ai: AiPorts | None, catalog: CatalogReadModel, clock: Clock
) -> dict[type[Query[Any]], QueryHandler[Any]]:
    if ai is None:
        refuse = RefuseWhileAiDisabled()
        return {query: refuse for query in (aq.SearchProducts, aq.SuggestCategories,
                                            aq.RecommendForProduct, aq.RecommendForCustomer,
                                            aq.ForecastStockouts)}
    return {
        aq.SearchProducts: SearchProductsHandler(ai.embedder, ai.vectors, ai.keywords, ai.views,
                                                 catalog),
        aq.SuggestCategories: SuggestCategoriesHandler(ai.embedder, ai.vectors, ai.views,
                                                       catalog),
        aq.RecommendForProduct: RecommendForProductHandler(ai.purchases, ai.vectors, ai.views),
        aq.RecommendForCustomer: RecommendForCustomerHandler(ai.purchases, ai.vectors,
                                                             ai.views),
        aq.ForecastStockouts: ForecastStockoutsHandler(ai.demand, ai.views, clock),
    }
