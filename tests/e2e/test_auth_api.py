"""Auth and customers over HTTP: registration, tokens, rotation, roles, profiles."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shop.infrastructure.db.engine import build_engine
from shop.infrastructure.db.schema import customers
from shop.interfaces.http.app import create_app
from shop.interfaces.http.auth import admin_only
from shop.settings import Settings
from tests.e2e.helpers import assert_problem, serving

SECRET = "e2e-secret-" + "x" * 40
ADMIN = {"email": "admin@example.com", "password": "admin-password-1"}
Client = AsyncTestClient[Litestar]


@pytest.fixture(params=["sqlite", pytest.param("postgres_redis", marks=[pytest.mark.postgres])])
def auth_settings(request: pytest.FixtureRequest) -> Settings:
    base: Settings = request.getfixturevalue(f"{request.param}_settings")
    return base.with_overrides(jwt_secret=SECRET, admin_email=ADMIN["email"],
                               admin_password=ADMIN["password"], login_max_failures_per_account=3)


@pytest.fixture
async def app(auth_settings: Settings) -> Litestar:
    return create_app(auth_settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with serving(app) as test_client:
        yield test_client


async def register(client: Client, email: str = "ann@example.com",
                   password: str = "correct horse", **extra: Any) -> Any:
    return await client.post("/api/v1/auth/register",
                             json={"email": email, "password": password, "full_name": "Ann",
                                   **extra})


async def login(client: Client, email: str, password: str) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def customer_tokens(client: Client, email: str = "ann@example.com") -> dict[str, Any]:
    assert (await register(client, email)).status_code == 201
    return await login(client, email, "correct horse")


# --- registration -----------------------------------------------------------

async def test_registering_answers_201_with_the_customer_and_never_the_password(
    client: Client,
) -> None:
    response = await register(client, "Ann@Example.com")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "full_name", "phone", "shipping_address", "role",
                         "created_at", "disabled"}
    assert body["disabled"] is False
    assert body["email"] == "ann@example.com"
    assert body["role"] == "customer"
    assert "correct horse" not in response.text


async def test_registering_a_taken_email_in_any_case_answers_409(client: Client) -> None:
    await register(client, "ann@example.com")
    assert_problem(await register(client, "ANN@example.COM"), 409)


async def test_a_role_in_the_registration_body_is_refused_and_makes_no_account(
    client: Client,
) -> None:
    problem = assert_problem(await register(client, "eve@example.com", role="admin"), 400)
    assert "role" in json.dumps(problem)
    response = await client.post("/api/v1/auth/token",
                                 json={"email": "eve@example.com", "password": "correct horse"})
    assert response.status_code == 401


@pytest.mark.parametrize("password", ["short", "x" * 129])
async def test_a_password_outside_8_to_128_characters_is_refused(
    client: Client, password: str
) -> None:
    assert (await register(client, password=password)).status_code in {400, 422}


async def test_passwords_are_stored_only_as_argon2id_hashes(
    client: Client, auth_settings: Settings
) -> None:
    await register(client, "bo@example.com", "a secret phrase")
    engine = build_engine(auth_settings)  # the app's engine belongs to the app's event loop
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(customers).where(
                customers.c.email == "bo@example.com"))).mappings().one()
    finally:
        await engine.dispose()
    assert row["password_hash"].startswith("$argon2id$")
    assert all("a secret phrase" not in str(value) for value in row.values())


async def test_passwords_never_reach_the_logs(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    await register(client, "cy@example.com", "log-me-never-1")
    await client.post("/api/v1/auth/token",
                      json={"email": "cy@example.com", "password": "log-me-never-1"})
    await client.post("/api/v1/auth/token",
                      json={"email": "cy@example.com", "password": "wrong-but-secret"})
    captured = capsys.readouterr()
    assert "log-me-never-1" not in captured.out + captured.err
    assert "wrong-but-secret" not in captured.out + captured.err


# --- tokens -----------------------------------------------------------------

async def test_logging_in_answers_a_bearer_token_pair(client: Client) -> None:
    tokens = await customer_tokens(client)
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    me = await client.get("/api/v1/customers/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["email"] == "ann@example.com"


async def test_an_unknown_email_and_a_wrong_password_answer_the_same_401(client: Client) -> None:
    await register(client)
    unknown = await client.post("/api/v1/auth/token",
                                json={"email": "nobody@example.com", "password": "whatever1"})
    wrong = await client.post("/api/v1/auth/token",
                              json={"email": "ann@example.com", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == {**wrong.json(), "instance": unknown.json().get("instance")}


async def test_repeated_failures_for_one_account_answer_429_with_retry_after(
    client: Client,
) -> None:
    await register(client)
    for _ in range(3):
        await client.post("/api/v1/auth/token",
                          json={"email": "ann@example.com", "password": "wrong pass"})
    throttled = await client.post("/api/v1/auth/token",
                                  json={"email": "ann@example.com", "password": "correct horse"})
    assert_problem(throttled, 429)
    assert int(throttled.headers["retry-after"]) > 0


async def test_a_refresh_token_works_once_and_its_reuse_revokes_the_whole_family(
    client: Client,
) -> None:
    first = await customer_tokens(client)
    second = await client.post("/api/v1/auth/refresh",
                               json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    newer = second.json()
    assert newer["refresh_token"] != first["refresh_token"]

    reused = await client.post("/api/v1/auth/refresh",
                               json={"refresh_token": first["refresh_token"]})
    assert_problem(reused, 401)
    revoked = await client.post("/api/v1/auth/refresh",
                                json={"refresh_token": newer["refresh_token"]})
    assert_problem(revoked, 401)


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(sub: str, role: str = "admin", *, exp_delta: int = 600) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "shop", "sub": sub, "role": role, "iat": now, "exp": now + exp_delta,
            "jti": uuid.uuid4().hex}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer garbage",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer " + jwt.encode(_claims(str(uuid.uuid4())), "another-secret-" + "y" * 40,
                               algorithm="HS256"),
        "Bearer " + f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(str(uuid.uuid4())))}.",
        "Bearer " + jwt.encode(_claims(str(uuid.uuid4()), exp_delta=-60), SECRET,
                               algorithm="HS256"),
    ],
    ids=["no-token", "empty-bearer", "garbage", "basic-auth", "other-secret", "alg-none",
         "expired"],
)
async def test_bad_credentials_answer_401(client: Client, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/api/v1/customers/me", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


# --- roles ------------------------------------------------------------------

def admin_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path) whose handler carries the admin guard, found in the app itself."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            guards = [g for layer in handler.ownership_layers for g in (layer.guards or [])]
            if admin_only in guards:
                for method in handler.http_methods:
                    found.append((method, route.path))
    return found


def concrete(path: str) -> str:
    """Every `{name:uuid}` path parameter filled with a random id."""
    return re.sub(r"\{\w+:uuid\}", lambda _: str(uuid.uuid4()), path)


async def test_a_customer_gets_403_on_every_admin_route(client: Client, app: Litestar) -> None:
    routes = admin_routes(app)
    assert len(routes) >= 10  # catalog writes, customer list, inventory writes, shipping
    tokens = await customer_tokens(client)
    for method, path in routes:
        response = await client.request(method, concrete(path), headers=bearer(tokens), json={})
        assert response.status_code == 403, (method, path, response.text)


async def test_an_admin_may_use_admin_routes(client: Client) -> None:
    tokens = await login(client, ADMIN["email"], ADMIN["password"])
    response = await client.post("/api/v1/categories", json={"name": "Shoes"},
                                 headers=bearer(tokens))
    assert response.status_code == 201
    listing = await client.get("/api/v1/customers", headers=bearer(tokens))
    assert listing.status_code == 200
    assert listing.json()["total"] >= 1


async def test_catalog_writes_without_a_token_answer_401(client: Client) -> None:
    assert_problem(await client.post("/api/v1/categories", json={"name": "Shoes"}), 401)


# --- profiles ---------------------------------------------------------------

async def test_a_customer_updates_their_profile_and_clears_fields_with_null(
    client: Client,
) -> None:
    tokens = await customer_tokens(client)
    address = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
               "country": "us"}
    response = await client.patch("/api/v1/customers/me", headers=bearer(tokens),
                                  json={"phone": "+1 555 0100", "shipping_address": address})
    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "+1 555 0100"
    assert body["shipping_address"] == {**address, "country": "US", "line2": None}
    cleared = await client.patch("/api/v1/customers/me", headers=bearer(tokens),
                                 json={"phone": None})
    assert cleared.json()["phone"] is None
    assert cleared.json()["shipping_address"] is not None


async def test_an_unknown_country_or_a_role_in_the_profile_is_refused(client: Client) -> None:
    tokens = await customer_tokens(client)
    bad_country = await client.patch(
        "/api/v1/customers/me", headers=bearer(tokens),
        json={"shipping_address": {"line1": "x", "city": "y", "postal_code": "1",
                                   "country": "XX"}})
    assert_problem(bad_country, 422)
    assert_problem(await client.patch("/api/v1/customers/me", headers=bearer(tokens),
                                      json={"role": "admin"}), 400)


async def test_an_access_token_stops_working_when_it_expires(auth_settings: Settings) -> None:
    short = auth_settings.with_overrides(access_token_ttl_seconds=1)
    async with serving(create_app(short)) as client:
        tokens = await customer_tokens(client)
        claims = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"])
        assert datetime.fromtimestamp(claims["exp"], UTC) - datetime.now(UTC) <= timedelta(
            seconds=1)
