"""Builds the message bus of every use case from the ports' implementations.

The composition root calls this with the chosen adapters; tests call it with
in-memory fakes. One table of handlers, so nothing can be wired twice.
"""

from __future__ import annotations

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
from shop.application.messagebus import MessageBus, UseCaseTracer
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
) -> MessageBus:
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
        },
        event_handlers={
            ProductCreated: [invalidate.on_listing_changed],
            CategoryCreated: [invalidate.on_listing_changed],
            CategoryUpdated: [invalidate.on_listing_changed],
            CategoryDeleted: [invalidate.on_listing_changed],
            ProductUpdated: [invalidate.on_product_changed],
            ProductDeleted: [invalidate.on_product_changed],
            StockChanged: [invalidate.on_stock_changed],
            CustomerDisabled: [forget_status.on_status_changed],
            CustomerEnabled: [forget_status.on_status_changed],
        },
        tracer=tracer,
    )
