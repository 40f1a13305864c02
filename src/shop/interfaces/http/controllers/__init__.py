"""One controller per resource: parse the request, send a command or query, present the result."""

from shop.interfaces.http.controllers.analytics import AnalyticsController
from shop.interfaces.http.controllers.auth import AuthController
from shop.interfaces.http.controllers.categories import CategoryController
from shop.interfaces.http.controllers.customers import CustomerController
from shop.interfaces.http.controllers.forecast import InventoryForecastController
from shop.interfaces.http.controllers.health import HealthController
from shop.interfaces.http.controllers.inventory import InventoryController
from shop.interfaces.http.controllers.metrics import MetricsController
from shop.interfaces.http.controllers.notifications import NotificationController
from shop.interfaces.http.controllers.orders import OrderController
from shop.interfaces.http.controllers.products import ProductController
from shop.interfaces.http.controllers.recommendations import (
    CustomerRecommendationController,
    ProductRecommendationController,
)
from shop.interfaces.http.controllers.search import (
    CategorySuggestionController,
    SearchController,
)

__all__ = [
    "AnalyticsController",
    "AuthController",
    "CategoryController",
    "CategorySuggestionController",
    "CustomerController",
    "CustomerRecommendationController",
    "HealthController",
    "InventoryController",
    "InventoryForecastController",
    "MetricsController",
    "NotificationController",
    "OrderController",
    "ProductController",
    "ProductRecommendationController",
    "SearchController",
]
