"""The built-in fake card processor, behaving like a processor's test mode.

Tokens: `tok_visa`, `tok_mastercard` succeed; `tok_chargeDeclined`,
`tok_chargeDeclinedInsufficientFunds` (and any unknown token) are declined;
`tok_processingError` fails as an unreachable provider would. Charges are
idempotent by key and remembered in Redis when configured (so every process
and the recovery step see the same charges), in memory otherwise.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from redis.asyncio import Redis

from shop.application.ordering.ports import Charge
from shop.domain.ordering.errors import PaymentDeclined, PaymentUnavailable
from shop.domain.shared.money import Money

APPROVED = frozenset({"tok_visa", "tok_mastercard"})
UNREACHABLE = frozenset({"tok_processingError"})


class ChargeStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put_if_absent(self, key: str, reference: str) -> str:
        """Store the reference unless one exists; returns whichever is stored."""
        ...


class InMemoryChargeStore:
    def __init__(self) -> None:
        self._charges: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self._charges.get(key)

    async def put_if_absent(self, key: str, reference: str) -> str:
        return self._charges.setdefault(key, reference)


class RedisChargeStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._hash = f"{prefix}fake-gateway:charges"

    async def get(self, key: str) -> str | None:
        value = await self._redis.hget(self._hash, key)
        return value.decode() if isinstance(value, bytes) else value

    async def put_if_absent(self, key: str, reference: str) -> str:
        """One round trip when the key is new: HSETNX says whether this reference was stored."""
        if await self._redis.hsetnx(self._hash, key, reference):
            return reference
        return await self.get(key) or reference


class FakePaymentGateway:
    def __init__(self, charges: ChargeStore, refunds: ChargeStore) -> None:
        self._charges = charges
        self._refunds = refunds

    async def charge(self, *, idempotency_key: str, amount: Money, token: str) -> Charge:
        """A repeated key answers the first charge, whatever the token says now.

        A charge that would succeed is stored if absent, which answers an
        earlier charge under the key too: one round trip. A refusal looks for
        an earlier charge first.
        """
        if token in APPROVED and not amount.is_negative:
            reference = await self._charges.put_if_absent(idempotency_key,
                                                          f"ch_fake_{uuid.uuid4().hex[:24]}")
            return Charge(reference)
        earlier = await self._charges.get(idempotency_key)
        if earlier is not None:
            return Charge(earlier)
        if token in UNREACHABLE:
            raise PaymentUnavailable("the payment provider could not process the charge")
        if token not in APPROVED:
            raise PaymentDeclined("the card was declined; the order was cancelled")
        raise PaymentDeclined("a charge cannot be negative")

    async def find_charge(self, idempotency_key: str) -> Charge | None:
        reference = await self._charges.get(idempotency_key)
        return None if reference is None else Charge(reference)

    async def refund(self, *, idempotency_key: str, charge: Charge, amount: Money) -> None:
        await self._refunds.put_if_absent(idempotency_key, charge.reference)
