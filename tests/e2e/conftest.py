"""E2E fixtures: the real app (`create_app`) over HTTP, on the embedded and the production profile.

Catalog tests run twice: on the embedded default (SQLite, in-process cache and
events) and on PostgreSQL + Redis, where product reads come from the Redis
cache. Their client signs in as the admin ensured at start-up, since catalog
writes need that role. Every client here fails the test if any response was a
500: the API answers client mistakes with 4xx problems, never a server error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.bootstrap import ShopRuntime
from shop.container import Container
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.interfaces.http.app import create_app
from shop.settings import Settings
from tests.e2e.helpers import Catalog, serving
from tests.e2e.shop_client import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    Account,
    ShopClient,
    bearer,
    cheap_runtime,
    with_accounts,
)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres_redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def settings(request: pytest.FixtureRequest) -> Settings:
    """Each catalog test runs on both profiles; the second skips where the services are absent."""
    chosen: Settings = request.getfixturevalue(f"{request.param}_settings")
    return with_accounts(chosen)


def cheaply_hashing_runtime(settings: Settings) -> ShopRuntime:
    """The composition root's graph, with Argon2 at its cheapest.

    These tests sign in as the admin to write the catalog; they do not test
    password hashing, and default Argon2 costs about a second per test on a
    busy 2-core machine (hash at start-up, verify at sign-in).
    """
    container = Container(settings=settings)
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    container.password_hasher.override(providers.Object(cheap))
    return ShopRuntime(container)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client that sends the admin's access token with every request."""
    async with serving(create_app(runtime=cheaply_hashing_runtime(settings))) as test_client:
        token = await ShopClient(test_client).token(ADMIN_EMAIL, ADMIN_PASSWORD)
        test_client.headers.update(bearer(token))
        yield test_client


@pytest.fixture
async def embedded_client(sqlite_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Anonymous, for what does not depend on storage: docs, metrics, request ids, routing."""
    async with serving(create_app(sqlite_settings)) as test_client:
        yield test_client


@pytest.fixture
def catalog(client: AsyncTestClient[Litestar]) -> Catalog:
    return Catalog(client)


# --- accounts and roles, for the order and inventory suites ----------------
# Those modules override `settings` with `with_accounts(settings)` (a known
# admin and JWT secret); these fixtures then run on their override.

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Client]:
    """An anonymous client: every request says who it is (or that it is nobody)."""
    async with serving(create_app(runtime=cheap_runtime(settings))) as test_client:
        yield test_client


@pytest.fixture
def shop(api: Client) -> ShopClient:
    return ShopClient(api)


@pytest.fixture
async def admin(shop: ShopClient) -> Account:
    return await shop.admin()


@pytest.fixture
async def ann(shop: ShopClient) -> Account:
    return await shop.customer("ann")
