"""Whether an account may still act: one primary-key read, remembered for a few seconds.

The guards ask on every authenticated request, so the answer is cached per
process for `ttl_seconds` (SHOP_ACCOUNT_STATUS_CACHE_SECONDS): a disabled
account's access tokens stop working at most that long after the admin
disabled it, on every process, without a query per request. The cache is
bounded; when full it is simply cleared (it refills from the database).
When an answer expires, the requests of that account asking meanwhile share
one read (`SharedReads`) instead of each making their own.
"""

from __future__ import annotations

import time
import uuid
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shop.infrastructure.db.schema import customers
from shop.infrastructure.shared_reads import SharedReads

MAX_CACHED_ACCOUNTS: Final = 100_000


class SqlAccountStatus:
    def __init__(self, engine: AsyncEngine, ttl_seconds: float) -> None:
        self._engine = engine
        self._ttl = ttl_seconds
        self._known: dict[uuid.UUID, tuple[bool, float]] = {}
        self._reads: SharedReads[bool] = SharedReads("account-status-read")
        self._forgotten = 0
        """Bumped by `forget`: a read begun before it neither answers later checks nor is kept."""

    async def is_active(self, customer_id: uuid.UUID) -> bool:
        now = time.monotonic()
        known = self._known.get(customer_id)
        if known is not None and known[1] > now:
            return known[0]
        generation = self._forgotten
        return await self._reads.read(
            (customer_id, generation), lambda: self._read_and_keep(customer_id, generation, now))

    def forget(self, customer_id: uuid.UUID) -> None:
        """Drop what this process remembers (it disabled or enabled the account itself)."""
        self._forgotten += 1
        self._known.pop(customer_id, None)

    async def _read_and_keep(self, customer_id: uuid.UUID, generation: int,
                             started: float) -> bool:
        active = await self._read(customer_id)
        if self._ttl > 0 and generation == self._forgotten:
            if len(self._known) >= MAX_CACHED_ACCOUNTS:
                self._known.clear()
            self._known[customer_id] = (active, started + self._ttl)
        return active

    async def _read(self, customer_id: uuid.UUID) -> bool:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(customers.c.disabled_at).where(customers.c.id == customer_id)
            )).first()
        return row is not None and row.disabled_at is None
