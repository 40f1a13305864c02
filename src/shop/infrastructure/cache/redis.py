"""Product cache in Redis, shared by every API process.

An entry is `<product_version>:<stock_version>:<json view>`; an invalidation
writes the versions with an empty view. One Lua script does both, atomically,
so an older view is never put over a newer version or over an invalidation
(the race of plain cache-aside where a slow reader puts back stale data).
Redis failures degrade to the database: reads miss, writes are logged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shop.application.catalog.views import ProductView
from shop.infrastructure.cache.codec import decode_view, encode_view

log = logging.getLogger("shop.cache")

_CURRENT_VERSIONS = """
local current = redis.call('GET', KEYS[1])
local cpv, csv = 0, 0
if current then
  local a, b = string.match(current, '^(%d+):(%d+):')
  cpv = tonumber(a) or 0
  csv = tonumber(b) or 0
end
local pv, sv = tonumber(ARGV[1]), tonumber(ARGV[2])
"""

_PUT_OR_INVALIDATE = _CURRENT_VERSIONS + """
if ARGV[4] == 'put' then
  if pv < cpv or sv < csv then return 0 end
else
  if cpv > pv then pv = cpv end
  if csv > sv then sv = csv end
end
redis.call('SET', KEYS[1], pv .. ':' .. sv .. ':' .. ARGV[3], 'EX', ARGV[5])
return 1
"""

_INVALIDATE_ALL_AND_PUBLISH = """
for i, key in ipairs(KEYS) do
  local pv, sv = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  local current = redis.call('GET', key)
  if current then
    local a, b = string.match(current, '^(%d+):(%d+):')
    pv = math.max(pv, tonumber(a) or 0)
    sv = math.max(sv, tonumber(b) or 0)
  end
  redis.call('SET', key, pv .. ':' .. sv .. ':', 'EX', ARGV[1])
end
return redis.call('PUBLISH', ARGV[2], ARGV[3])
"""


class RedisProductCache:
    def __init__(self, redis: Redis, *, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}product:"
        self._ttl = ttl_seconds
        self._script = redis.register_script(_PUT_OR_INVALIDATE)
        self._announced_script = redis.register_script(_INVALIDATE_ALL_AND_PUBLISH)

    def key(self, product_id: uuid.UUID) -> str:
        return f"{self._prefix}{product_id}"

    async def get(self, product_id: uuid.UUID) -> ProductView | None:
        try:
            raw = await self._redis.get(self.key(product_id))
        except RedisError as error:
            log.warning("product cache read failed, reading the database", exc_info=error)
            return None
        if not raw:
            return None
        if isinstance(raw, str):
            raw = raw.encode()
        payload = raw.split(b":", 2)[2]
        return decode_view(payload) if payload else None

    async def put(self, view: ProductView) -> None:
        await self._run(view.id, view.product_version, view.stock_version,
                        encode_view(view), "put")

    async def invalidate(
        self, product_id: uuid.UUID, *, product_version: int = 0, stock_version: int = 0
    ) -> None:
        await self._run(product_id, product_version, stock_version, b"", "invalidate")

    async def invalidate_and_publish(
        self, versions: Mapping[uuid.UUID, tuple[int, int]], channel: str, message: str,
    ) -> int:
        """`invalidate` each product at its (product, stock) versions, then PUBLISH
        `message`, in one round trip; how many received it.

        The near cache's broadcast of a batch of changes: one script instead of
        a call per product and one for the message, and nobody can read an old
        entry between them. Raises RedisError (the caller logs it, as it would a
        failed broadcast).
        """
        args: list[str | int] = [self._ttl, channel, message]
        for product_version, stock_version in versions.values():
            args += [product_version, stock_version]
        receivers = await self._announced_script(
            keys=[self.key(product_id) for product_id in versions], args=args)
        return int(receivers)

    async def invalidate_listings(self) -> None:
        """Nothing to do: the shared cache keeps product views, no list pages."""

    async def _run(
        self, product_id: uuid.UUID, pv: int, sv: int, payload: bytes, mode: str
    ) -> None:
        try:
            await self._script(keys=[self.key(product_id)],
                               args=[pv, sv, payload, mode, self._ttl])
        except RedisError as error:
            level = logging.ERROR if mode == "invalidate" else logging.WARNING
            log.log(level, "product cache %s failed for %s", mode, product_id, exc_info=error)
