"""`exact` payments end to end: SDK client -> SDK HTTP facilitator client -> real socket."""

from __future__ import annotations

import asyncio

import httpx
from x402.http import HTTPFacilitatorClient
from x402.mechanisms.evm.constants import (
    ERR_INSUFFICIENT_BALANCE,
    ERR_INVALID_SIGNATURE,
    ERR_NETWORK_MISMATCH,
    ERR_NONCE_ALREADY_USED,
    ERR_RECIPIENT_MISMATCH,
    ERR_VALID_BEFORE_EXPIRED,
)
from x402.mechanisms.evm.exact.eip3009_utils import verify_eip3009_transfer_event

from farebox.facilitator import LocalFacilitator
from farebox.serving import BackgroundServer

from .payments import (
    BASE,
    BASE_SEPOLIA,
    UPTO_AVAILABLE,
    Shop,
    new_account,
    with_accepted,
    with_authorization,
)


def test_supported_lists_every_kind_with_the_facilitator_signer(
    shop: Shop, served: BackgroundServer, facilitator: LocalFacilitator
) -> None:
    body = httpx.get(f"{served.url}/supported").json()
    kinds = {(kind["scheme"], kind["network"]) for kind in body["kinds"]}
    schemes = ("exact", "upto") if UPTO_AVAILABLE else ("exact",)
    assert kinds == {(s, n) for s in schemes for n in (BASE, BASE_SEPOLIA)}
    assert all(kind["x402Version"] == 2 for kind in body["kinds"])
    assert body["signers"] == {"eip155:*": [facilitator.address]}
    for kind in body["kinds"]:
        if kind["scheme"] == "upto":
            assert kind["extra"] == {"facilitatorAddress": facilitator.address}


async def test_valid_payment_verifies_settles_and_moves_exactly_the_amount(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$0.25", payee.address)
    payload = await shop.pay(payer, requirements)

    verified = await http_facilitator.verify(payload, requirements)
    assert verified.is_valid, verified
    assert verified.payer == payer.address

    settled = await http_facilitator.settle(payload, requirements)
    assert settled.success, settled
    assert settled.network == BASE_SEPOLIA
    assert settled.payer == payer.address
    assert settled.transaction.startswith("0x") and len(settled.transaction) == 66

    ledger = facilitator.ledger
    assert ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000 - 250_000
    assert ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_000 + 250_000
    assert ledger.balance(BASE, payer.address) == 100_000_000  # other chain untouched

    receipt = facilitator.chains[BASE_SEPOLIA].wait_for_transaction_receipt(settled.transaction)
    assert receipt.status == 1
    assert verify_eip3009_transfer_event(
        receipt.logs,
        requirements.asset,
        from_address=payer.address,
        to=payee.address,
        value=250_000,
    )


async def test_same_payment_settled_twice_fails_the_second_time(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$1", payee.address)
    payload = await shop.pay(payer, requirements)

    first = await http_facilitator.settle(payload, requirements)
    second = await http_facilitator.settle(payload, requirements)
    again = await http_facilitator.verify(payload, requirements)

    assert first.success
    assert not second.success and second.error_reason == ERR_NONCE_ALREADY_USED
    assert not again.is_valid and again.invalid_reason == ERR_NONCE_ALREADY_USED
    assert facilitator.ledger.balance(BASE_SEPOLIA, payee.address) == 101_000_000


async def test_twenty_concurrent_settles_of_one_payment_pay_once(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$2", payee.address)
    payload = await shop.pay(payer, requirements)

    results = await asyncio.gather(
        *(http_facilitator.settle(payload, requirements) for _ in range(20))
    )

    assert sum(result.success for result in results) == 1
    failures = [result for result in results if not result.success]
    assert {failure.error_reason for failure in failures} == {ERR_NONCE_ALREADY_USED}
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 98_000_000
    assert facilitator.ledger.balance(BASE_SEPOLIA, payee.address) == 102_000_000


async def test_tampered_value_is_an_invalid_signature(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    signed_for = shop.requirements("$0.01", payee.address)
    payload = await shop.pay(payer, signed_for)
    # Raise the value and ask for the raised amount, so only the signature can object.
    forged = with_authorization(payload, value="5000000")
    asked = signed_for.model_copy(update={"amount": "5000000"})

    verified = await http_facilitator.verify(forged, asked)
    settled = await http_facilitator.settle(forged, asked)

    assert not verified.is_valid and verified.invalid_reason == ERR_INVALID_SIGNATURE
    assert not settled.success and settled.error_reason == ERR_INVALID_SIGNATURE
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000


async def test_authorization_signed_by_another_key_is_an_invalid_signature(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    victim, thief, payee = new_account(), new_account(), new_account()
    requirements = shop.requirements("$3", payee.address)
    payload = await shop.pay(thief, requirements)
    forged = with_authorization(payload, **{"from": victim.address})

    verified = await http_facilitator.verify(forged, requirements)
    settled = await http_facilitator.settle(forged, requirements)

    assert not verified.is_valid and verified.invalid_reason == ERR_INVALID_SIGNATURE
    assert not settled.success and settled.error_reason == ERR_INVALID_SIGNATURE
    assert facilitator.ledger.balance(BASE_SEPOLIA, victim.address) == 100_000_000


async def test_wrong_pay_to_is_a_recipient_mismatch(
    shop: Shop, http_facilitator: HTTPFacilitatorClient
) -> None:
    payer, payee, other = new_account(), new_account(), new_account()
    payload = await shop.pay(payer, shop.requirements("$0.10", payee.address))
    elsewhere = shop.requirements("$0.10", other.address)

    verified = await http_facilitator.verify(payload, elsewhere)
    settled = await http_facilitator.settle(payload, elsewhere)

    assert verified.invalid_reason == ERR_RECIPIENT_MISMATCH
    assert settled.error_reason == ERR_RECIPIENT_MISMATCH and not settled.success


async def test_wrong_network_is_a_network_mismatch(
    shop: Shop, http_facilitator: HTTPFacilitatorClient
) -> None:
    payer, payee = new_account(), new_account()
    payload = await shop.pay(payer, shop.requirements("$0.10", payee.address))
    on_mainnet = shop.requirements("$0.10", payee.address, network=BASE)

    verified = await http_facilitator.verify(payload, on_mainnet)
    settled = await http_facilitator.settle(payload, on_mainnet)

    assert verified.invalid_reason == ERR_NETWORK_MISMATCH
    assert settled.error_reason == ERR_NETWORK_MISMATCH and not settled.success


async def test_network_without_a_local_chain_is_refused(
    shop: Shop, http_facilitator: HTTPFacilitatorClient
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$0.10", payee.address)
    payload = await shop.pay(payer, requirements)
    on_ethereum = with_accepted(payload, network="eip155:1")

    verified = await http_facilitator.verify(on_ethereum, requirements)
    settled = await http_facilitator.settle(on_ethereum, requirements)

    assert verified.invalid_reason == "unsupported_network"
    assert "eip155:1" in (verified.invalid_message or "")
    assert settled.error_reason == "unsupported_network" and not settled.success


async def test_unknown_scheme_is_refused(
    shop: Shop, http_facilitator: HTTPFacilitatorClient
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$0.10", payee.address)
    payload = with_accepted(await shop.pay(payer, requirements), scheme="streaming")

    verified = await http_facilitator.verify(payload, requirements)

    assert verified.invalid_reason == "unsupported_scheme"
    assert "streaming" in (verified.invalid_message or "")


async def test_expired_valid_before_is_refused(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    # The SDK client signs validBefore = now + max_timeout_seconds: already too late.
    requirements = shop.requirements("$0.10", payee.address, max_timeout_seconds=1)
    payload = await shop.pay(payer, requirements)

    verified = await http_facilitator.verify(payload, requirements)
    settled = await http_facilitator.settle(payload, requirements)

    assert verified.invalid_reason == ERR_VALID_BEFORE_EXPIRED
    assert settled.error_reason == ERR_VALID_BEFORE_EXPIRED and not settled.success
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000


async def test_insufficient_balance_is_refused_and_moves_nothing(
    shop: Shop, http_facilitator: HTTPFacilitatorClient, facilitator: LocalFacilitator
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$100.01", payee.address)
    payload = await shop.pay(payer, requirements)

    verified = await http_facilitator.verify(payload, requirements)
    settled = await http_facilitator.settle(payload, requirements)

    assert verified.invalid_reason == ERR_INSUFFICIENT_BALANCE
    assert settled.error_reason == ERR_INSUFFICIENT_BALANCE and not settled.success
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000
    assert facilitator.ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_000


async def test_funding_the_payer_makes_the_same_payment_settle(
    shop: Shop,
    http_facilitator: HTTPFacilitatorClient,
    served: BackgroundServer,
    facilitator: LocalFacilitator,
) -> None:
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$100.01", payee.address)
    payload = await shop.pay(payer, requirements)
    assert not (await http_facilitator.verify(payload, requirements)).is_valid

    funded = httpx.post(
        f"{served.url}/fund", json={"address": payer.address, "amount": "$0.01"}
    ).json()
    settled = await http_facilitator.settle(payload, requirements)

    assert funded["balance"] == "100010000"
    assert settled.success, settled
    assert facilitator.ledger.balance(BASE_SEPOLIA, payer.address) == 0
