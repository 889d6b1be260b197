"""`upto` (and `exact` over Permit2) end to end through the HTTP facilitator.

The SDK's Permit2 facilitator code imports x402.extensions, which needs jsonschema;
without it the local facilitator does not offer upto, and these tests are skipped.
"""

from __future__ import annotations

import pytest
from x402.http import HTTPFacilitatorClient
from x402.mechanisms.evm.constants import (
    ERR_UPTO_FACILITATOR_MISMATCH,
    ERR_UPTO_SETTLEMENT_EXCEEDS_AMOUNT,
)

from farebox.facilitator import LocalFacilitator

from .payments import BASE, BASE_SEPOLIA, UPTO_AVAILABLE, Shop, new_account

pytestmark = pytest.mark.skipif(
    not UPTO_AVAILABLE, reason="x402's upto facilitator needs jsonschema (x402[extensions])"
)


async def test_upto_settles_the_metered_amount_below_the_ceiling(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    ceiling = shop.requirements("$0.50", payee.address, scheme="upto")
    assert ceiling.extra["facilitatorAddress"] == facilitator.address
    payload = await shop.pay(payer, ceiling)

    verified = await http_facilitator.verify(payload, ceiling)
    metered = ceiling.model_copy(update={"amount": "123456"})
    settled = await http_facilitator.settle(payload, metered)

    assert verified.is_valid, verified
    assert settled.success, settled
    assert settled.amount == "123456"
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000 - 123_456
    assert facilitator.ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_000 + 123_456


async def test_upto_settle_above_the_ceiling_fails_and_moves_nothing(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    ceiling = shop.requirements("$0.50", payee.address, scheme="upto")
    payload = await shop.pay(payer, ceiling)

    too_much = ceiling.model_copy(update={"amount": "500001"})
    settled = await http_facilitator.settle(payload, too_much)

    assert not settled.success and settled.error_reason == ERR_UPTO_SETTLEMENT_EXCEEDS_AMOUNT
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000


async def test_upto_replay_fails(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    ceiling = shop.requirements("$0.50", payee.address, scheme="upto", network=BASE)
    payload = await shop.pay(payer, ceiling)
    metered = ceiling.model_copy(update={"amount": "1000"})

    first = await http_facilitator.settle(payload, metered)
    second = await http_facilitator.settle(payload, metered)

    assert first.success
    assert not second.success and second.error_reason == "permit2_invalid_nonce"
    assert facilitator.ledger.balance(BASE, payee.address) == 100_001_000


async def test_upto_naming_another_facilitator_is_refused(
    shop: Shop, http_facilitator: HTTPFacilitatorClient
) -> None:
    payer, payee = new_account(), new_account()
    ceiling = shop.requirements("$0.50", payee.address, scheme="upto")
    elsewhere = ceiling.model_copy(
        update={"extra": {**ceiling.extra, "facilitatorAddress": new_account().address}}
    )
    payload = await shop.pay(payer, elsewhere)

    verified = await http_facilitator.verify(payload, ceiling)

    assert verified.invalid_reason == ERR_UPTO_FACILITATOR_MISMATCH


async def test_exact_over_permit2_settles_once(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements(
        "$0.02", payee.address, extra={"assetTransferMethod": "permit2"}
    )
    payload = await shop.pay(payer, requirements)
    assert "permit2Authorization" in payload.payload

    verified = await http_facilitator.verify(payload, requirements)
    first = await http_facilitator.settle(payload, requirements)
    second = await http_facilitator.settle(payload, requirements)

    assert verified.is_valid and first.success
    assert not second.success and second.error_reason == "permit2_invalid_nonce"
    assert facilitator.ledger.balance(BASE_SEPOLIA, payee.address) == 100_020_000
