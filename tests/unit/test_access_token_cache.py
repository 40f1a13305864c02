"""The JWT token service remembers verified tokens, never past their expiry, never forged ones.

Every authenticated request sends the same token again; the service keeps the
principal of a token it verified until the token's `exp`, for a bounded number
of tokens. These tests pin what the cache must never do: accept a token after
its expiry, remember a token whose signature did not verify, or grow without
bound. (Whether the account is still active is the guards' question, asked on
every request; see tests/e2e for disabled accounts.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shop.application.shared import Principal
from shop.domain.customers.values import Role
from shop.domain.shared.errors import Unauthenticated
from shop.infrastructure.auth.tokens import MAX_CACHED_TOKENS, JwtTokenService

SECRET = "k" * 48
TTL = timedelta(minutes=15)


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def service(clock: MovableClock, *, secret: str = SECRET,
            max_cached: int = MAX_CACHED_TOKENS) -> JwtTokenService:
    return JwtTokenService(algorithm="HS256", signing_key=secret, verification_key=secret,
                           ttl=TTL, clock=clock, max_cached=max_cached)


def someone() -> Principal:
    return Principal(customer_id=uuid.uuid4(), role=Role.ADMIN)


def test_a_verified_token_is_remembered_and_reads_back_as_the_same_principal() -> None:
    tokens = service(MovableClock(datetime.now(UTC)))
    who = someone()
    token = tokens.issue_access(who).token
    assert tokens.read_access(token) == who
    assert tokens.cached_tokens == 1
    again = tokens.read_access(token)
    assert again == who
    assert again.expires_at is not None
    assert tokens.cached_tokens == 1


def test_a_cached_token_stops_being_accepted_at_its_expiry() -> None:
    clock = MovableClock(datetime.now(UTC).replace(microsecond=0))
    tokens = service(clock)
    token = tokens.issue_access(someone()).token
    tokens.read_access(token)
    assert tokens.cached_tokens == 1

    clock.at += TTL - timedelta(seconds=1)
    tokens.read_access(token)  # one second before `exp`: still good, from the cache

    clock.at += timedelta(seconds=1)  # exactly `exp`
    with pytest.raises(Unauthenticated):
        tokens.read_access(token)
    assert tokens.cached_tokens == 0
    with pytest.raises(Unauthenticated):
        tokens.read_access(token)  # and it is not verified and cached afresh either
    assert tokens.cached_tokens == 0


def test_a_token_with_a_bad_signature_is_never_cached() -> None:
    clock = MovableClock(datetime.now(UTC))
    tokens = service(clock)
    forged = service(clock, secret="x" * 48).issue_access(someone()).token
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            tokens.read_access(forged)
    assert tokens.cached_tokens == 0


def test_a_tampered_copy_of_a_cached_token_is_verified_on_its_own_and_refused() -> None:
    clock = MovableClock(datetime.now(UTC))
    tokens = service(clock)
    token = tokens.issue_access(someone()).token
    tokens.read_access(token)
    header, _, signature = token.split(".")
    now = int(clock.now().timestamp())
    claims = {"iss": "shop", "sub": str(uuid.uuid4()), "role": "admin", "iat": now,
              "exp": now + 600, "jti": "x"}
    payload = jwt.encode(claims, "x" * 48, algorithm="HS256").split(".")[1]
    with pytest.raises(Unauthenticated):
        tokens.read_access(f"{header}.{payload}.{signature}")
    assert tokens.cached_tokens == 1


def test_the_cache_is_bounded_and_forgets_the_least_recently_used_token_first() -> None:
    tokens = service(MovableClock(datetime.now(UTC)), max_cached=3)
    issued = [tokens.issue_access(someone()).token for _ in range(4)]
    for token in issued[:3]:
        tokens.read_access(token)
    tokens.read_access(issued[0])  # used again: now the most recent
    tokens.read_access(issued[3])  # one too many: issued[1] goes
    assert tokens.cached_tokens == 3
    for token in issued:  # every one still verifies, the forgotten one by its signature
        tokens.read_access(token)
    assert tokens.cached_tokens == 3


def test_the_default_bound_holds_a_few_thousand_tokens() -> None:
    tokens = service(MovableClock(datetime.now(UTC)))
    for _ in range(MAX_CACHED_TOKENS + 50):
        tokens.read_access(tokens.issue_access(someone()).token)
    assert tokens.cached_tokens == MAX_CACHED_TOKENS
