"""The replay lock in Redis, for several gateway instances behind one load balancer.

With per-process locks, two instances could each verify the same payment and
both serve it in after-response mode before one settlement fails. A Redis
`SET key NX PX ttl` is atomic across every instance that shares the server.
"""

from __future__ import annotations

import redis.asyncio as redis

KEY_PREFIX = "farebox:payment:"


class RedisReplayGuard:
    def __init__(self, url: str, *, prefix: str = KEY_PREFIX) -> None:
        self._client = redis.Redis.from_url(url)
        self._prefix = prefix
        self.url = url

    async def reserve(self, key: str, ttl: float) -> bool:
        claimed = await self._client.set(self._prefix + key, b"1", nx=True, px=int(ttl * 1000))
        return bool(claimed)

    async def release(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def close(self) -> None:
        await self._client.aclose()
