"""Two gateway instances sharing a Redis replay store: one payment, one response."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from farebox.demo.llm import build_fake_llm
from farebox.serving import BackgroundServer
from tests.integration.conftest import Facilitator, GatewayFactory
from tests.support.payer import new_account, required_of, sign_for

REDIS_DB = os.environ.get("FAREBOX_TEST_REDIS", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_DB).ping()
    except (OSError, redis.RedisError):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_DB}; CI must test the shared store")
        pytest.skip("Redis is not reachable")
    return REDIS_DB


@pytest.fixture
def llm() -> Iterator[str]:
    with BackgroundServer(build_fake_llm()) as server:
        yield server.url


def config(llm: str, replay: str) -> str:
    return (
        'wallets:\n  base-sepolia: "{merchant}"\n'
        'facilitator: "{facilitator}"\n'
        f'stores:\n  replay: "{replay}"\n'
        f'upstreams:\n  llm:\n    url: "{llm}"\n'
        "routes:\n"
        '  "POST /v1/chat/completions":\n'
        "    upstream: llm\n"
        "    type: token-based\n"
        '    models:\n      gpt-4.1: {{input: "$2.00/1M", output: "$8.00/1M"}}\n'
    )


async def test_one_metered_payment_streams_once_across_instances(
    gateway: GatewayFactory, facilitator: Facilitator, llm: str, redis_url: str
) -> None:
    """A stream is delivered before it is settled, so only a shared lock stops a
    second instance from streaming the same authorization again."""
    replay = redis_url
    text = config(llm, replay)  # with "memory" each instance streams it once
    first, second = gateway(text), gateway(text)
    request = {
        "model": "gpt-4.1",
        "stream": True,
        "messages": [{"role": "user", "content": f"hello {uuid.uuid4()}"}],
    }
    payer = new_account()
    async with httpx.AsyncClient(timeout=30) as client:
        unpaid = await client.post(f"{first}/v1/chat/completions", json=request)
        header = await sign_for(payer, required_of(unpaid))
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{url}/v1/chat/completions",
                    json=request,
                    headers={"PAYMENT-SIGNATURE": header},
                )
                for url in (first, second, first, second)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 402, 402, 402]
    refused = [r for r in responses if r.status_code == 402]
    assert all("already been used" in r.json()["error"] for r in refused)
    assert facilitator.balance(payer.address) < 100_000_000
