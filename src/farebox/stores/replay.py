"""The replay lock: one payment authorization buys at most one response."""

from __future__ import annotations

import time
from typing import Protocol


class ReplayGuard(Protocol):
    async def reserve(self, key: str, ttl: float) -> bool:
        """Atomically claim `key` for `ttl` seconds; False when already claimed."""
        ...

    async def release(self, key: str) -> None:
        """Give a claim back because nothing was served for it."""
        ...


class MemoryReplayGuard:
    """In-process claims. Safe because the event loop runs one coroutine at a time
    between awaits and there is no await inside reserve(); one gateway process only."""

    def __init__(self) -> None:
        self._claims: dict[str, float] = {}
        self._next_sweep = 0.0

    async def reserve(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        self._sweep(now)
        expiry = self._claims.get(key)
        if expiry is not None and expiry > now:
            return False
        self._claims[key] = now + ttl
        return True

    async def release(self, key: str) -> None:
        self._claims.pop(key, None)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60
        for key in [k for k, exp in self._claims.items() if exp <= now]:
            del self._claims[key]
