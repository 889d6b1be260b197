"""Bad PAYMENT-SIGNATURE values: always a 402 with a reason, never a 500, never proxied."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from x402.http.utils import encode_payment_signature_header
from x402.schemas import PaymentPayload

from tests.integration.conftest import Facilitator, GatewayFactory, Upstream, base_config
from tests.support.payer import b64json, new_account, required_of, sign_for, x402_client_for

ROUTES = '  "GET /data":\n    upstream: api\n    price: "$0.01"\n'


def tamper(header: str, change: dict[str, object]) -> str:
    """Re-encode a signed payload with some fields changed (the signature no longer fits)."""
    data = json.loads(base64.b64decode(header))
    for path, value in change.items():
        target = data
        *parents, leaf = path.split(".")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return b64json(data)


@pytest.fixture
async def paid_setup(gateway: GatewayFactory) -> tuple[str, str, dict[str, object]]:
    url = gateway(base_config(ROUTES))
    async with httpx.AsyncClient(timeout=30) as plain:
        required = required_of(await plain.get(f"{url}/data"))
    return url, await sign_for(new_account(), required), required.model_dump(by_alias=True)


async def refused(url: str, header: str) -> str:
    async with httpx.AsyncClient(timeout=30) as plain:
        response = await plain.get(f"{url}/data", headers={"PAYMENT-SIGNATURE": header})
    assert response.status_code == 402, response.text
    assert "payment-required" in response.headers
    error: str = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("%%%not-base64%%%", "not base64"),
        (base64.b64encode(b"{not json").decode(), "not base64-encoded JSON"),
        (b64json([1, 2, 3]), "JSON object"),
        (b64json({"x402Version": 1, "payload": {}}), "x402Version 1"),
        (b64json({"x402Version": 2, "payload": {}}), "malformed at accepted"),
        ("", "not base64"),
    ],
)
async def test_undecodable_headers(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream, header: str, expected: str
) -> None:
    url, _, _ = paid_setup
    assert expected in await refused(url, header)
    assert upstream.log.requests == []


async def test_wrong_network(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream
) -> None:
    url, header, _ = paid_setup
    error = await refused(url, tamper(header, {"accepted.network": "eip155:8453"}))
    assert "eip155:8453" in error and "accepts exact on eip155:84532" in error
    assert upstream.log.requests == []


async def test_wrong_pay_to(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream
) -> None:
    url, header, _ = paid_setup
    thief = "0x" + "12" * 20
    error = await refused(url, tamper(header, {"accepted.payTo": thief}))
    assert "made out to" in error
    assert upstream.log.requests == []


async def test_pay_to_changed_inside_the_signed_authorization(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream
) -> None:
    url, header, _ = paid_setup
    error = await refused(url, tamper(header, {"payload.authorization.to": "0x" + "34" * 20}))
    assert "refused by the facilitator" in error
    assert upstream.log.requests == []


async def test_bad_signature(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream, facilitator: Facilitator
) -> None:
    url, header, _ = paid_setup
    data = json.loads(base64.b64decode(header))
    sig = data["payload"]["signature"]
    flipped = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
    error = await refused(url, tamper(header, {"payload.signature": flipped}))
    assert "refused by the facilitator" in error
    assert upstream.log.requests == []


async def test_signed_by_someone_else(
    paid_setup: tuple[str, str, dict[str, object]], upstream: Upstream
) -> None:
    url, header, _ = paid_setup
    victim = new_account()
    # claims to spend the victim's funds with a signature from another key
    error = await refused(url, tamper(header, {"payload.authorization.from": victim.address}))
    assert "refused by the facilitator" in error
    assert upstream.log.requests == []


async def test_expired_authorization(gateway: GatewayFactory, upstream: Upstream) -> None:
    url = gateway(base_config(ROUTES))
    async with httpx.AsyncClient(timeout=30) as plain:
        required = required_of(await plain.get(f"{url}/data"))
    # The official client signs validBefore = now + maxTimeoutSeconds; 1s is already too late.
    short = required.model_copy(
        update={"accepts": [required.accepts[0].model_copy(update={"max_timeout_seconds": 1})]}
    )
    payload = await x402_client_for(new_account()).create_payment_payload(short)
    assert isinstance(payload, PaymentPayload)
    error = await refused(url, encode_payment_signature_header(payload))
    assert "valid_before" in error or "expired" in error
    assert upstream.log.requests == []


async def test_insufficient_balance(
    paid_setup: tuple[str, str, dict[str, object]],
    gateway: GatewayFactory,
    facilitator: Facilitator,
    upstream: Upstream,
) -> None:
    url, _, _ = paid_setup
    poor = new_account()
    facilitator.local.ledger.set_balance("eip155:84532", poor.address, 5)
    async with httpx.AsyncClient(timeout=30) as plain:
        header = await sign_for(poor, required_of(await plain.get(f"{url}/data")))
    error = await refused(url, header)
    assert "insufficient" in error.lower()
    assert upstream.log.requests == []
    assert facilitator.balance(poor.address) == 5
