"""Login throttling: too many failures for one account or one client address answer 429.

Counting is a fixed window per key (INCR with an expiry). With Redis the
counters are shared, so the limit holds however many processes serve logins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int
    max_failures_per_account: int
    max_failures_per_client: int

    def limit_for(self, key: str) -> int:
        """`client:<address>` keys get the client limit; every other key (`account:`,
        `reset:`, `password-change:`) names one account and gets the account limit."""
        if key.startswith("client:"):
            return self.max_failures_per_client
        return self.max_failures_per_account


class InMemoryLoginThrottle:
    def __init__(self, policy: ThrottlePolicy) -> None:
        self._policy = policy
        self._failures: dict[str, tuple[int, float]] = {}

    async def retry_after(self, keys: Sequence[str]) -> int | None:
        waits = [self._wait(key) for key in keys]
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    async def failed(self, keys: Sequence[str]) -> None:
        now = time.monotonic()
        for key in keys:
            count, expires = self._failures.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + self._policy.window_seconds
            self._failures[key] = (count + 1, expires)

    async def succeeded(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _wait(self, key: str) -> int | None:
        count, expires = self._failures.get(key, (0, 0.0))
        remaining = expires - time.monotonic()
        if remaining <= 0 or count < self._policy.limit_for(key):
            return None
        return max(1, int(remaining + 0.999))


class RedisLoginThrottle:
    def __init__(self, redis: Redis, policy: ThrottlePolicy, prefix: str) -> None:
        self._redis = redis
        self._policy = policy
        self._prefix = f"{prefix}login-failures:"

    async def retry_after(self, keys: Sequence[str]) -> int | None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(self._prefix + key)
                pipe.ttl(self._prefix + key)
            results = await pipe.execute()
        waits = []
        for key, count, ttl in zip(keys, results[0::2], results[1::2], strict=True):
            if count is not None and int(count) >= self._policy.limit_for(key) and ttl > 0:
                waits.append(int(ttl))
        return max(waits) if waits else None

    async def failed(self, keys: Sequence[str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.incr(self._prefix + key)
                pipe.expire(self._prefix + key, self._policy.window_seconds, nx=True)
            await pipe.execute()

    async def succeeded(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.delete(*(self._prefix + key for key in keys))
