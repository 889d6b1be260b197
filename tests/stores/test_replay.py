"""The replay lock, in process and in Redis (a real server at 127.0.0.1:6379)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from farebox.stores.replay import MemoryReplayGuard, ReplayGuard
from farebox.stores.replay_redis import RedisReplayGuard

REDIS_URL = os.environ.get("FAREBOX_TEST_REDIS", "redis://127.0.0.1:6379/15")


async def redis_available() -> bool:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return bool(await client.ping())
    except (OSError, redis.RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def guard(request: pytest.FixtureRequest) -> AsyncIterator[ReplayGuard]:
    if request.param == "memory":
        yield MemoryReplayGuard()
        return
    if not await redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI must test the Redis store")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    shared = RedisReplayGuard(REDIS_URL, prefix=f"farebox-test:{uuid.uuid4().hex}:")
    yield shared
    await shared.close()


async def test_a_key_is_claimed_once_until_released(guard: ReplayGuard) -> None:
    assert await guard.reserve("eip155:84532:0xabc:1", 60)
    assert not await guard.reserve("eip155:84532:0xabc:1", 60)
    assert await guard.reserve("eip155:84532:0xabc:2", 60)  # another nonce is another key
    await guard.release("eip155:84532:0xabc:1")
    assert await guard.reserve("eip155:84532:0xabc:1", 60)


async def test_concurrent_claims_have_exactly_one_winner(guard: ReplayGuard) -> None:
    results = await asyncio.gather(*(guard.reserve("same-payment", 60) for _ in range(50)))
    assert sorted(results) == [False] * 49 + [True]


async def test_a_claim_lapses_after_its_ttl(guard: ReplayGuard) -> None:
    assert await guard.reserve("short", 0.05)
    await asyncio.sleep(0.3)
    assert await guard.reserve("short", 60)


async def test_two_redis_guards_share_their_claims() -> None:
    if not await redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip("Redis is not reachable")
    prefix = f"farebox-test:{uuid.uuid4().hex}:"
    first, second = (
        RedisReplayGuard(REDIS_URL, prefix=prefix),
        RedisReplayGuard(REDIS_URL, prefix=prefix),
    )
    try:
        assert await first.reserve("payment", 60)
        assert not await second.reserve("payment", 60)  # another gateway instance
        await first.release("payment")
        assert await second.reserve("payment", 60)
    finally:
        await first.close()
        await second.close()
