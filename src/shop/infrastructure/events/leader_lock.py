"""Which process relays the outbox: one at a time, so events keep their commit order."""

from __future__ import annotations

import uuid
from typing import Protocol

from redis.asyncio import Redis

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaderLock(Protocol):
    async def hold(self) -> bool:
        """Take or keep the lead; False while another process has it."""
        ...

    async def release(self) -> None: ...


class AlwaysLeader:
    """Embedded mode: this process is the only relay."""

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class RedisLeaderLock:
    """A lease in Redis, renewed on every relay pass, that expires if its holder dies."""

    def __init__(self, redis: Redis, key: str, lease_ms: int = 10_000) -> None:
        self._redis = redis
        self._key = key
        self._lease_ms = lease_ms
        self._token = uuid.uuid4().hex
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def hold(self) -> bool:
        return bool(await self._renew(keys=[self._key], args=[self._token, self._lease_ms]))

    async def release(self) -> None:
        await self._release(keys=[self._key], args=[self._token])
