"""Builds the message bus of every use case from the ports' implementations.

The composition root calls this with the chosen adapters; tests call it with
in-memory fakes. One table of handlers, so nothing can be wired twice.
"""

from __future__ import annotations

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
from shop.application.catalog import commands as cc
from shop.application.catalog import queries as cq
from shop.application.catalog.event_handlers import InvalidateCachedProduct
from shop.application.catalog.handlers import (
    CreateCategoryHandler,
    CreateProductHandler,
    DeleteCategoryHandler,
    DeleteProductHandler,
    UpdateCategoryHandler,
    UpdateProductHandler,
)
from shop.application.catalog.query_handlers import (
    GetCategoryByIdHandler,
    GetCategoryTreeHandler,
    GetProductByIdHandler,
    ListCategoriesHandler,
    ListProductsHandler,
)
from shop.application.customers import commands as uc
from shop.application.customers import queries as uq
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
from shop.application.messagebus import MessageBus, QueryHandler, UseCaseTracer
from shop.application.messages import Query
from shop.application.notifications.ports import NotificationReadModel
from shop.application.notifications.queries import ListNotifications
from shop.application.notifications.query_handlers import ListNotificationsHandler
from shop.application.ordering import commands as oc
from shop.application.ordering import queries as oq
from shop.application.ordering.handlers import (
    AdjustStockHandler,
    CancelOrderHandler,
    OrderSettlement,
    PlaceOrderHandler,
    SetStockHandler,
    SettlePendingOrdersHandler,
    ShipOrderHandler,
)
from shop.application.ordering.ports import InventoryReadModel, OrderReadModel, PaymentGateway
from shop.application.ordering.query_handlers import (
    GetOrderHandler,
    GetStockHandler,
    ListOrdersHandler,
)
from shop.application.ports import CatalogReadModel, Clock, ProductCache, UnitOfWorkFactory
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
    tracer: UseCaseTracer | None = None,
    ai: AiPorts | None = None,
    indexer: ProductEmbeddingIndexer | None = None,
) -> MessageBus:
    """`ai` None (`SHOP_AI_ENABLED=false`): every AI query answers `AiDisabled`."""
    invalidate = InvalidateCachedProduct(product_cache)
    forget_status = ForgetCachedAccountStatus(account_status)
    issuer = TokenIssuer(token_service, token_policy, clock)
    settlement = OrderSettlement(payment_gateway, clock)
    return MessageBus(
        uow_factory=uow_factory,
        command_handlers={
            cc.CreateCategory: CreateCategoryHandler(clock),
            cc.UpdateCategory: UpdateCategoryHandler(clock),
            cc.DeleteCategory: DeleteCategoryHandler(),
            cc.CreateProduct: CreateProductHandler(clock),
            cc.UpdateProduct: UpdateProductHandler(clock),
            cc.DeleteProduct: DeleteProductHandler(clock),
            uc.RegisterCustomer: RegisterCustomerHandler(password_hasher, clock),
            uc.IssueTokens: IssueTokensHandler(password_hasher, login_throttle, issuer, clock),
            uc.RefreshTokens: RefreshTokensHandler(issuer, clock),
            uc.UpdateProfile: UpdateProfileHandler(clock),
            uc.EnsureAdmin: EnsureAdminHandler(password_hasher, clock),
            uc.Logout: LogoutHandler(clock),
            uc.ChangePassword: ChangePasswordHandler(password_hasher, login_throttle, clock),
            uc.RequestPasswordReset: RequestPasswordResetHandler(
                login_throttle, password_reset_notifier, clock, token_policy),
            uc.ConfirmPasswordReset: ConfirmPasswordResetHandler(password_hasher, clock),
            uc.SetCustomerDisabled: SetCustomerDisabledHandler(clock),
            oc.PlaceOrder: PlaceOrderHandler(payment_gateway, settlement, clock,
                                             payment_timeout_seconds),
            oc.ShipOrder: ShipOrderHandler(clock),
            oc.CancelOrder: CancelOrderHandler(payment_gateway, settlement),
            oc.SettlePendingOrders: SettlePendingOrdersHandler(payment_gateway, settlement,
                                                               clock),
            oc.AdjustStock: AdjustStockHandler(clock),
            oc.SetStock: SetStockHandler(clock),
        },
        query_handlers={
            cq.GetProductById: GetProductByIdHandler(catalog_read_model, product_cache),
            cq.ListProducts: ListProductsHandler(catalog_read_model),
            cq.GetCategoryById: GetCategoryByIdHandler(catalog_read_model),
            cq.ListCategories: ListCategoriesHandler(catalog_read_model),
            cq.GetCategoryTree: GetCategoryTreeHandler(catalog_read_model),
            uq.GetCustomer: GetCustomerHandler(customer_read_model),
            uq.ListCustomers: ListCustomersHandler(customer_read_model),
            oq.GetOrder: GetOrderHandler(order_read_model),
            oq.ListOrders: ListOrdersHandler(order_read_model),
            oq.GetStock: GetStockHandler(inventory_read_model),
            GetSalesSummary: GetSalesSummaryHandler(analytics_read_model, clock, summary_policy),
            ListNotifications: ListNotificationsHandler(notification_read_model),
            **ai_query_handlers(ai, catalog_read_model, clock),
        },
        event_handlers={
            ProductCreated: [invalidate.on_listing_changed],
            CategoryCreated: [invalidate.on_listing_changed],
            CategoryUpdated: [invalidate.on_listing_changed],
            CategoryDeleted: [invalidate.on_listing_changed],
            ProductUpdated: [invalidate.on_product_changed],
            ProductDeleted: [invalidate.on_product_changed,
                             *([indexer.on_product_deleted] if indexer else [])],
            StockChanged: [invalidate.on_stock_changed],
            CustomerDisabled: [forget_status.on_status_changed],
            CustomerEnabled: [forget_status.on_status_changed],
        },
        tracer=tracer,
    )


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
