"""Argon2id hashing, JWT tokens, customer storage and login throttling, for real."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.application.shared import Principal
from shop.domain.customers.customer import Customer
from shop.domain.customers.errors import EmailTaken
from shop.domain.customers.values import EmailAddress, Role
from shop.domain.shared.errors import Unauthenticated
from shop.infrastructure.auth.passwords import Argon2PasswordHasher
from shop.infrastructure.auth.throttle import RedisLoginThrottle, ThrottlePolicy
from shop.infrastructure.auth.tokens import JwtTokenService, jwt_secret
from shop.infrastructure.db.schema import customers
from shop.infrastructure.db.unit_of_work import SqlUnitOfWork
from shop.settings import Settings

SECRET = "s" * 48
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def hs256(clock: FixedClock | None = None, secret: str = SECRET) -> JwtTokenService:
    return JwtTokenService(algorithm="HS256", signing_key=secret, verification_key=secret,
                           ttl=timedelta(minutes=15), clock=clock or FixedClock(datetime.now(UTC)))


def principal() -> Principal:
    return Principal(customer_id=uuid.uuid4(), role=Role.CUSTOMER)


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- passwords -------------------------------------------------------------

async def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    hasher = Argon2PasswordHasher()
    hashed = await hasher.hash("correct horse")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert await hasher.verify(hashed, "correct horse")
    assert not await hasher.verify(hashed, "wrong horse")


async def test_an_unknown_account_is_checked_against_a_dummy_and_always_fails() -> None:
    hasher = Argon2PasswordHasher()
    assert not await hasher.verify(None, "anything at all")


async def test_hashes_made_with_other_parameters_are_marked_for_rehash() -> None:
    cheap = Argon2PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    default = Argon2PasswordHasher()
    old_hash = await cheap.hash("correct horse")
    assert default.needs_rehash(old_hash)
    assert await default.verify(old_hash, "correct horse")
    assert not default.needs_rehash(await default.hash("correct horse"))


# --- tokens ----------------------------------------------------------------

def test_a_token_reads_back_as_its_principal() -> None:
    who = principal()
    service = hs256()
    token = service.issue_access(who)
    assert service.read_access(token.token) == who
    claims = jwt.decode(token.token, SECRET, algorithms=["HS256"])
    assert set(claims) >= {"exp", "iat", "sub", "role", "jti"}
    assert claims["sub"] == str(who.customer_id)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b.c",
        jwt.encode({"sub": str(uuid.uuid4()), "role": "admin"}, SECRET, algorithm="HS256"),
    ],
    ids=["empty", "garbage", "three-dots", "missing-claims"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        hs256().read_access(token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = hs256(secret="x" * 48).issue_access(principal()).token
    with pytest.raises(Unauthenticated):
        hs256().read_access(forged)


def test_an_unsigned_alg_none_token_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": "shop", "sub": str(uuid.uuid4()), "role": "admin", "iat": now,
              "exp": now + 600, "jti": "x"}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    with pytest.raises(Unauthenticated):
        hs256().read_access(unsigned)


def test_an_expired_token_is_refused() -> None:
    clock = FixedClock(datetime.now(UTC) - timedelta(hours=1))
    stale = hs256(clock).issue_access(principal()).token
    with pytest.raises(Unauthenticated):
        hs256().read_access(stale)


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo
                                           ).decode()
    return private, public


def test_rs256_tokens_verify_with_the_public_key_and_refuse_algorithm_confusion() -> None:
    private, public = rsa_pair()
    service = JwtTokenService(algorithm="RS256", signing_key=private, verification_key=public,
                              ttl=timedelta(minutes=5), clock=FixedClock(datetime.now(UTC)))
    who = principal()
    assert service.read_access(service.issue_access(who).token) == who
    # The classic attack: an HS256 token "signed" with the public key as the secret.
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": "shop", "sub": str(who.customer_id), "role": "admin", "iat": now,
              "exp": now + 600, "jti": "x"}
    import hashlib
    import hmac

    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    signature = base64.urlsafe_b64encode(
        hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()
    ).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated):
        service.read_access(f"{signing_input}.{signature}")


def test_without_a_configured_secret_one_is_generated_per_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = jwt_secret(settings)
    assert len(first) >= 48
    assert jwt_secret(settings) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
    assert jwt_secret(Settings(data_dir=tmp_path / "other")) != first


def test_a_short_configured_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        jwt_secret(Settings(jwt_secret="short"))


# --- storage ---------------------------------------------------------------

def a_customer(email: str = "Ann@Example.com") -> Customer:
    return Customer.register(id=uuid.uuid4(), email=EmailAddress(email), full_name="Ann",
                             password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def", now=NOW)


async def test_a_customer_is_stored_once_per_case_insensitive_email(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.customers.add(a_customer("Ann@Example.com"))
        await uow.commit()
    with pytest.raises(EmailTaken):
        async with SqlUnitOfWork(engine) as uow:
            await uow.customers.add(a_customer("ann@example.COM"))
    async with SqlUnitOfWork(engine) as uow:
        found = await uow.customers.get_by_email(EmailAddress("ANN@EXAMPLE.COM"))
        assert found is not None
        assert found.email.value == "ann@example.com"


async def test_the_stored_row_holds_only_the_hash(engine: AsyncEngine) -> None:
    hasher = Argon2PasswordHasher()
    customer = Customer.register(id=uuid.uuid4(), email=EmailAddress("bo@example.com"),
                                 full_name="Bo", password_hash=await hasher.hash("hunter2hunter2"),
                                 now=NOW)
    async with SqlUnitOfWork(engine) as uow:
        await uow.customers.add(customer)
        await uow.commit()
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(customers))).mappings().one()
    assert row["password_hash"].startswith("$argon2id$")
    assert not any("hunter2" in str(value) for value in row.values())


# --- throttling ------------------------------------------------------------

async def test_the_redis_throttle_holds_across_processes(redis_url: str, redis_prefix: str) -> None:
    policy = ThrottlePolicy(window_seconds=60, max_failures_per_account=2,
                            max_failures_per_client=10)
    client = Redis.from_url(redis_url)
    first = RedisLoginThrottle(client, policy, redis_prefix)
    second = RedisLoginThrottle(client, policy, redis_prefix)
    keys = ["account:ann@example.com", "client:10.0.0.1"]
    try:
        await first.failed(keys)
        assert await second.retry_after(keys) is None
        await second.failed(keys)
        wait = await first.retry_after(keys)
        assert wait is not None
        assert 0 < wait <= 60
        await first.succeeded(keys[:1])
        assert await second.retry_after(keys) is None
    finally:
        await client.aclose()
