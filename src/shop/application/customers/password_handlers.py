"""Handlers that change a password: by its owner, and through a reset token sent by email.

Both end every login of the account (all refresh tokens revoked) in the
transaction that stores the new hash, so whoever held a stolen session loses
it the moment the owner takes the account back.
"""

from __future__ import annotations

import logging
import secrets
import uuid

from shop.application.customers.commands import (
    ChangePassword,
    ConfirmPasswordReset,
    RequestPasswordReset,
)
from shop.application.customers.handlers import TokenPolicy, check_password, hash_token
from shop.application.customers.ports import (
    LoginThrottle,
    PasswordHasher,
    PasswordResetNotifier,
    PasswordResetRecord,
)
from shop.application.ports import Clock, UnitOfWork
from shop.domain.customers.errors import CustomerNotFound
from shop.domain.customers.values import EmailAddress
from shop.domain.shared.errors import InvalidValue, RateLimited, Unauthenticated

log = logging.getLogger("shop.customers")

WRONG_CURRENT_PASSWORD = "the current password is wrong"  # noqa: S105 - a message
BAD_RESET_TOKEN = "the reset token is invalid, expired or already used"  # noqa: S105
RESET_THROTTLED = "too many password reset requests; try again later"


class ChangePasswordHandler:
    def __init__(self, hasher: PasswordHasher, throttle: LoginThrottle, clock: Clock) -> None:
        self._hasher = hasher
        self._throttle = throttle
        self._clock = clock

    async def __call__(self, command: ChangePassword, uow: UnitOfWork) -> None:
        new_password = check_password(command.new_password)
        # Guessing the current password with a stolen access token is throttled like sign-in.
        keys = [f"password-change:{command.customer_id}"]
        wait = await self._throttle.retry_after(keys)
        if wait is not None:
            raise RateLimited("too many wrong current passwords; try again later",
                              retry_after=wait)
        new_hash = await self._hasher.hash(new_password)
        async with uow:
            customer = await uow.customers.get(command.customer_id)
            if customer is None:
                raise CustomerNotFound(command.customer_id)
            if not await self._hasher.verify(customer.password_hash, command.current_password):
                await self._throttle.failed(keys)
                raise Unauthenticated(WRONG_CURRENT_PASSWORD)
            now = self._clock.now()
            customer.change_password(new_hash, now)
            await uow.customers.save(customer)
            await uow.refresh_tokens.revoke_all(customer.id, now)
            await uow.commit()
        await self._throttle.succeeded(keys)


class RequestPasswordResetHandler:
    """Stores a fresh single-use token (hashed) and hands it to the notifier to email.

    The caller learns nothing about whether the email has an account: the
    handler returns the same way for unknown, disabled and existing accounts.
    Every request counts against the sign-in throttle of its client address
    and of the email, so the route cannot be used to flood a mailbox.
    """

    def __init__(self, throttle: LoginThrottle, notifier: PasswordResetNotifier, clock: Clock,
                 policy: TokenPolicy) -> None:
        self._throttle = throttle
        self._notifier = notifier
        self._clock = clock
        self._ttl = policy.reset_ttl

    async def __call__(self, command: RequestPasswordReset, uow: UnitOfWork) -> None:
        try:
            email = EmailAddress(command.email)
        except InvalidValue:
            return  # no account can have it; answered like an unknown account
        keys = [f"client:{command.client_address}", f"reset:{email.value}"]
        wait = await self._throttle.retry_after(keys)
        if wait is not None:
            raise RateLimited(RESET_THROTTLED, retry_after=wait)
        await self._throttle.failed(keys)
        token = secrets.token_urlsafe(32)
        async with uow:
            customer = await uow.customers.get_by_email(email)
            if customer is None or customer.is_disabled:
                return
            now = self._clock.now()
            record = PasswordResetRecord(id=uuid.uuid4(), customer_id=customer.id,
                                         token_hash=hash_token(token), created_at=now,
                                         expires_at=now + self._ttl)
            await uow.password_resets.spend_all(customer.id, now)  # only the newest one works
            await uow.password_resets.add(record)
            await uow.commit()
        await self._deliver(record, email.value, token)

    async def _deliver(self, record: PasswordResetRecord, email: str, token: str) -> None:
        """Best effort: a failed delivery is logged, and the customer may simply ask again."""
        try:
            await self._notifier.send_reset(record.customer_id, email, token, record.expires_at)
        except Exception:
            log.exception("the password reset email could not be handed over",
                          extra={"customer_id": str(record.customer_id)})


class ConfirmPasswordResetHandler:
    def __init__(self, hasher: PasswordHasher, clock: Clock) -> None:
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, command: ConfirmPasswordReset, uow: UnitOfWork) -> None:
        new_hash = await self._hasher.hash(check_password(command.new_password))
        async with uow:
            now = self._clock.now()
            record = await uow.password_resets.find(hash_token(command.token))
            if record is None or record.used_at is not None or record.expires_at <= now:
                raise InvalidValue("token", BAD_RESET_TOKEN)
            customer = await uow.customers.get(record.customer_id)
            if customer is None or customer.is_disabled:
                raise InvalidValue("token", BAD_RESET_TOKEN)
            if not await uow.password_resets.spend(record.id, now):
                raise InvalidValue("token", BAD_RESET_TOKEN)  # a concurrent confirm was first
            customer.change_password(new_hash, now, through_reset=True)
            await uow.customers.save(customer)
            await uow.refresh_tokens.revoke_all(customer.id, now)
            await uow.password_resets.spend_all(customer.id, now)
            await uow.commit()
