"""shop: a clean-architecture e-commerce backend, usable as a server or a library.

    from shop import Settings, bootstrap, create_app

`bootstrap(settings)` gives a started runtime whose `bus` runs commands and
queries without HTTP; `create_app(settings)` gives the Litestar ASGI app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shop.bootstrap import ShopRuntime, bootstrap, build_runtime
from shop.settings import Settings

if TYPE_CHECKING:
    from shop.interfaces.http.app import create_app

__all__ = ["Settings", "ShopRuntime", "bootstrap", "build_runtime", "create_app"]


def __getattr__(name: str) -> Any:
    # The web layer is imported on first use, so library users who only need
    # the bus do not pay for Litestar at import time.
    if name == "create_app":
        from shop.interfaces.http.app import create_app

        return create_app
    raise AttributeError(f"module 'shop' has no attribute {name!r}")
