"""Handlers of the customers context: registration, login, token rotation, profiles."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from shop.application.customers.commands import (
    EnsureAdmin,
    IssueTokens,
    Logout,
    RefreshTokens,
    RegisterCustomer,
    UpdateProfile,
)
from shop.application.customers.ports import (
    LoginThrottle,
    PasswordHasher,
    RefreshTokenRecord,
    TokenService,
)
from shop.application.customers.views import CustomerView, TokenPair
from shop.application.messages import UNSET
from shop.application.ports import Clock, UnitOfWork
from shop.application.shared import AddressInput, Principal
from shop.domain.customers.customer import Customer
from shop.domain.customers.errors import CustomerNotFound, EmailTaken
from shop.domain.customers.values import EmailAddress, Role
from shop.domain.shared.errors import InvalidValue, RateLimited, Unauthenticated

PASSWORD_MIN = 8
PASSWORD_MAX = 128
BAD_LOGIN = "invalid email or password"
BAD_REFRESH = "the refresh token is invalid, expired or already used"
ACCOUNT_DISABLED = "this account is disabled"


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidValue("password",
                           f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    return password


def hash_token(token: str) -> str:
    """Refresh and reset tokens are stored only as SHA-256: a leaked table cannot be replayed.

    A fast hash is enough here (unlike passwords): the tokens are 256 random bits.
    """
    return hashlib.sha256(token.encode()).hexdigest()


PASSWORD_RESET_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class TokenPolicy:
    refresh_ttl: timedelta
    reset_ttl: timedelta = PASSWORD_RESET_TTL
    """How long an emailed password reset token works (the contract says 30 minutes)."""


class TokenIssuer:
    """Mints access tokens and the next refresh token of a family."""

    def __init__(self, tokens: TokenService, policy: TokenPolicy, clock: Clock) -> None:
        self._tokens = tokens
        self._policy = policy
        self._clock = clock

    async def issue(self, uow: UnitOfWork, customer: Customer,
                    family_id: uuid.UUID | None = None) -> TokenPair:
        now = self._clock.now()
        refresh = secrets.token_urlsafe(32)
        await uow.refresh_tokens.add(RefreshTokenRecord(
            id=uuid.uuid4(), family_id=family_id or uuid.uuid4(), customer_id=customer.id,
            token_hash=hash_token(refresh), created_at=now,
            expires_at=now + self._policy.refresh_ttl,
        ))
        access = self._tokens.issue_access(Principal(customer_id=customer.id, role=customer.role))
        return TokenPair(access_token=access.token, refresh_token=refresh,
                         expires_in=access.expires_in)


class RegisterCustomerHandler:
    def __init__(self, hasher: PasswordHasher, clock: Clock) -> None:
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, command: RegisterCustomer, uow: UnitOfWork) -> CustomerView:
        email = EmailAddress(command.email)
        password_hash = await self._hasher.hash(check_password(command.password))
        async with uow:
            if await uow.customers.get_by_email(email) is not None:
                raise EmailTaken()
            customer = Customer.register(id=uuid.uuid4(), email=email,
                                         full_name=command.full_name,
                                         password_hash=password_hash, now=self._clock.now())
            await uow.customers.add(customer)
            await uow.commit()
            return CustomerView.of(customer)


class IssueTokensHandler:
    def __init__(self, hasher: PasswordHasher, throttle: LoginThrottle,
                 issuer: TokenIssuer, clock: Clock) -> None:
        self._hasher = hasher
        self._throttle = throttle
        self._issuer = issuer
        self._clock = clock

    async def __call__(self, command: IssueTokens, uow: UnitOfWork) -> TokenPair:
        try:
            email: EmailAddress | None = EmailAddress(command.email)
        except InvalidValue:
            email = None  # answered like an unknown account, never as a validation hint
        keys = [f"client:{command.client_address}"]
        if email is not None:
            keys.append(f"account:{email.value}")
        wait = await self._throttle.retry_after(keys)
        if wait is not None:
            raise RateLimited("too many failed logins; try again later", retry_after=wait)
        async with uow:
            customer = await uow.customers.get_by_email(email) if email else None
            stored = customer.password_hash if customer else None
            if not await self._hasher.verify(stored, command.password) or customer is None:
                await self._throttle.failed(keys)
                raise Unauthenticated(BAD_LOGIN)
            if customer.is_disabled:
                raise Unauthenticated(ACCOUNT_DISABLED)  # told only to who knows the password
            if self._hasher.needs_rehash(customer.password_hash):
                customer.change_password_hash(await self._hasher.hash(command.password),
                                              self._clock.now())
                await uow.customers.save(customer)
            pair = await self._issuer.issue(uow, customer)
            await uow.commit()
        await self._throttle.succeeded(keys[1:])
        return pair


class RefreshTokensHandler:
    def __init__(self, issuer: TokenIssuer, clock: Clock) -> None:
        self._issuer = issuer
        self._clock = clock

    async def __call__(self, command: RefreshTokens, uow: UnitOfWork) -> TokenPair:
        now = self._clock.now()
        async with uow:
            record = await uow.refresh_tokens.find(hash_token(command.refresh_token))
            if record is None or record.revoked_at is not None or record.expires_at <= now:
                raise Unauthenticated(BAD_REFRESH)
            if record.used_at is not None or not await uow.refresh_tokens.spend(record.id, now):
                # A spent token came back: it leaked. Nothing of its family may live on.
                await uow.refresh_tokens.revoke_family(record.family_id, now)
                await uow.commit()
                raise Unauthenticated(BAD_REFRESH)
            customer = await uow.customers.get(record.customer_id)
            if customer is None or customer.is_disabled:
                raise Unauthenticated(BAD_REFRESH)
            pair = await self._issuer.issue(uow, customer, family_id=record.family_id)
            await uow.commit()
            return pair


class LogoutHandler:
    """Ends the caller's login: every token of the refresh token's family stops working.

    A token that is unknown, or another account's, changes nothing and is not
    reported: logging out is idempotent and tells nobody about others' tokens.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: Logout, uow: UnitOfWork) -> None:
        async with uow:
            record = await uow.refresh_tokens.find(hash_token(command.refresh_token))
            if record is None or record.customer_id != command.customer_id:
                return
            await uow.refresh_tokens.revoke_family(record.family_id, self._clock.now())
            await uow.commit()


class UpdateProfileHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(self, command: UpdateProfile, uow: UnitOfWork) -> CustomerView:
        async with uow:
            customer = await uow.customers.get(command.customer_id)
            if customer is None:
                raise CustomerNotFound(command.customer_id)
            address = command.shipping_address
            customer.update_profile(
                now=self._clock.now(),
                full_name=None if command.full_name is UNSET else command.full_name,
                phone=None if command.phone is UNSET else command.phone,
                clear_phone=command.phone is None,
                shipping_address=(address.to_address() if isinstance(address, AddressInput)
                                  else None),
                clear_shipping_address=address is None,
            )
            await uow.customers.save(customer)
            await uow.commit()
            return CustomerView.of(customer)


class EnsureAdminHandler:
    def __init__(self, hasher: PasswordHasher, clock: Clock) -> None:
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, command: EnsureAdmin, uow: UnitOfWork) -> CustomerView:
        email = EmailAddress(command.email)
        check_password(command.password)
        async with uow:
            customer = await uow.customers.get_by_email(email)
            now = self._clock.now()
            if customer is None:
                customer = Customer.register(
                    id=uuid.uuid4(), email=email, full_name=command.full_name,
                    password_hash=await self._hasher.hash(command.password), now=now,
                    role=Role.ADMIN)
                await uow.customers.add(customer)
            else:
                if not await self._hasher.verify(customer.password_hash, command.password):
                    customer.change_password_hash(await self._hasher.hash(command.password), now)
                if customer.role is not Role.ADMIN:
                    customer.promote_to_admin(now)
                await uow.customers.save(customer)
            await uow.commit()
            return CustomerView.of(customer)
