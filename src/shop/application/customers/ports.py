"""Ports of the customers context, implemented in shop.infrastructure.auth and db."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shop.application.customers.views import AccessToken, CustomerView
from shop.application.paging import Page, PageOf
from shop.application.shared import Principal
from shop.domain.customers.customer import Customer
from shop.domain.customers.values import EmailAddress


@dataclass
class RefreshTokenRecord:
    """A refresh token as stored: only its hash, its family, and when it was spent.

    Tokens of one login form a family; each refresh spends one token and
    issues the next. Presenting a spent token means it leaked, so the whole
    family is revoked.
    """

    id: uuid.UUID
    family_id: uuid.UUID
    customer_id: uuid.UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class PasswordResetRecord:
    """A password reset token as stored: only its hash; spent once, valid until `expires_at`."""

    id: uuid.UUID
    customer_id: uuid.UUID
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash, spend the same time and answer False.

        Hashing a dummy for unknown emails keeps a login for an unknown account
        from answering measurably faster than a wrong password.
        """
        ...
    def needs_rehash(self, password_hash: str) -> bool: ...


class TokenService(Protocol):
    def issue_access(self, principal: Principal) -> AccessToken: ...
    def read_access(self, token: str) -> Principal:
        """The principal of a valid token; raises Unauthenticated otherwise."""
        ...


class LoginThrottle(Protocol):
    async def retry_after(self, keys: Sequence[str]) -> int | None:
        """Seconds until any of these keys may try again, or None if none is blocked."""
        ...
    async def failed(self, keys: Sequence[str]) -> None: ...
    async def succeeded(self, keys: Sequence[str]) -> None: ...


class CustomerRepository(Protocol):
    async def add(self, customer: Customer) -> None:
        """Raises EmailTaken if the (normalised) email is already registered."""
        ...
    async def get(self, customer_id: uuid.UUID) -> Customer | None: ...
    async def get_by_email(self, email: EmailAddress) -> Customer | None: ...
    async def save(self, customer: Customer) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, record: RefreshTokenRecord) -> None: ...
    async def find(self, token_hash: str) -> RefreshTokenRecord | None: ...
    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark the token used, only if it was not already: False when someone was first."""
        ...
    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None: ...
    async def revoke_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        """End every login of the account (password changed or reset, account disabled)."""
        ...


class PasswordResetTokenRepository(Protocol):
    async def add(self, record: PasswordResetRecord) -> None: ...
    async def find(self, token_hash: str) -> PasswordResetRecord | None: ...
    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark the token used, only if it was not already: False when someone was first."""
        ...
    async def spend_all(self, customer_id: uuid.UUID, now: datetime) -> None:
        """Void every outstanding token of the account (a newer one was issued)."""
        ...


class PasswordResetNotifier(Protocol):
    """Delivers a reset token to the account's owner (by email), after the token committed.

    The token travels only through this port: it is never written to the
    outbox, the event stream or a log.
    """

    async def send_reset(self, customer_id: uuid.UUID, email: str, token: str,
                         expires_at: datetime) -> None: ...


class AccountStatus(Protocol):
    """Whether an account may still act with the access tokens it holds."""

    async def is_active(self, customer_id: uuid.UUID) -> bool:
        """False for a disabled or deleted account. Adapters may answer from a cache
        of a few seconds, which bounds how long a disabled account's tokens still work."""
        ...
    def forget(self, customer_id: uuid.UUID) -> None:
        """Drop any cached answer for the account (its status just changed)."""
        ...


class CustomerReadModel(Protocol):
    async def customer(self, customer_id: uuid.UUID) -> CustomerView | None: ...
    async def customers(self, page: Page) -> PageOf[CustomerView]: ...
