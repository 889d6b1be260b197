"""LocalChain as the SDK's FacilitatorEvmSigner, driven by the SDK's own EIP-3009 helpers."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from x402.mechanisms.evm.constants import (
    AUTHORIZATION_STATE_ABI,
    ERR_INSUFFICIENT_BALANCE,
    ERR_INVALID_SIGNATURE,
    ERR_NONCE_ALREADY_USED,
    ERR_TOKEN_NAME_MISMATCH,
    ERR_TRANSACTION_SIMULATION_FAILED,
    ERR_VALID_AFTER_FUTURE,
    ERR_VALID_BEFORE_EXPIRED,
    MULTICALL3_ADDRESS,
    NAME_ABI,
    PERMIT2_ADDRESS,
    VERSION_ABI,
    X402_EXACT_PERMIT2_PROXY_ADDRESS,
    X402_UPTO_PERMIT2_PROXY_ADDRESS,
)
from x402.mechanisms.evm.default_assets import get_default_asset
from x402.mechanisms.evm.erc6492 import parse_erc6492_signature
from x402.mechanisms.evm.exact import ExactEvmClientScheme
from x402.mechanisms.evm.exact.eip3009_utils import (
    diagnose_eip3009_simulation_failure,
    execute_transfer_with_authorization,
    parse_eip3009_authorization,
    parse_eip3009_transfer_error,
    simulate_eip3009_transfer_result,
    verify_eip3009_transfer_event,
)
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.types import ExactEIP3009Payload, TypedDataDomain, TypedDataField
from x402.mechanisms.evm.utils import hex_to_bytes
from x402.schemas import PaymentRequirements

from farebox.facilitator import Ledger, LocalChain
from farebox.facilitator.abi import ContractRevert

from .payments import BASE, BASE_SEPOLIA, new_account

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def make_chain(
    ledger: Ledger | None = None,
    network: str = BASE_SEPOLIA,
    clock: Callable[[], float] = time.time,
) -> LocalChain:
    ledger = ledger or Ledger()
    return LocalChain(ledger, network, ledger.facilitator_address(), clock=clock)


def authorize(
    payer: LocalAccount, pay_to: str, value: int, network: str = BASE_SEPOLIA
) -> ExactEIP3009Payload:
    """An EIP-3009 authorization as the SDK's exact client signs it."""
    asset = get_default_asset(network)
    requirements = PaymentRequirements(
        scheme="exact",
        network=network,
        asset=asset["asset"],
        amount=str(value),
        pay_to=pay_to,
        max_timeout_seconds=300,
        extra={"name": asset["name"], "version": asset["version"]},
    )
    signed = ExactEvmClientScheme(EthAccountSigner(payer)).create_payment_payload(requirements)
    return ExactEIP3009Payload.from_dict(signed)


def transfer(chain: LocalChain, payment: ExactEIP3009Payload) -> str:
    """transferWithAuthorization exactly as the SDK's facilitator broadcasts it."""
    return execute_transfer_with_authorization(
        chain,
        chain.usdc.address,
        parse_eip3009_authorization(payment.authorization),
        parse_erc6492_signature(hex_to_bytes(payment.signature or "")),
    )


def used(chain: LocalChain, payment: ExactEIP3009Payload) -> bool:
    nonce = hex_to_bytes(payment.authorization.nonce)
    authorizer = payment.authorization.from_address
    state = chain.read_contract(
        chain.usdc.address, AUTHORIZATION_STATE_ABI, "authorizationState", authorizer, nonce
    )
    return bool(state)


def test_contracts_have_code_and_accounts_do_not() -> None:
    chain = make_chain()
    for address in (
        chain.usdc.address,
        PERMIT2_ADDRESS,
        X402_EXACT_PERMIT2_PROXY_ADDRESS,
        X402_UPTO_PERMIT2_PROXY_ADDRESS,
        MULTICALL3_ADDRESS,
    ):
        assert chain.get_code(address.lower()) != b""
    assert chain.get_code(new_account().address) == b""
    assert chain.get_addresses() == [chain.facilitator_address]


@pytest.mark.parametrize(("network", "chain_id"), [(BASE, 8453), (BASE_SEPOLIA, 84532)])
def test_token_metadata_is_the_networks_usdc(network: str, chain_id: int) -> None:
    chain = make_chain(network=network)
    asset = get_default_asset(network)
    assert chain.get_chain_id() == chain_id
    assert chain.usdc.address == asset["asset"]
    assert chain.read_contract(asset["asset"], NAME_ABI, "name") == asset["name"]
    assert chain.read_contract(asset["asset"], VERSION_ABI, "version") == "2"


def test_transfer_with_authorization_moves_funds_and_logs_the_transfer() -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 1_500_000)

    tx_hash = transfer(chain, payment)

    receipt = chain.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1 and receipt.block_number == 1
    assert verify_eip3009_transfer_event(
        receipt.logs,
        chain.usdc.address,
        from_address=payer.address,
        to=payee.address,
        value=1_500_000,
    )
    assert chain.get_balance(payer.address, chain.usdc.address) == 98_500_000
    assert chain.get_balance(payee.address, chain.usdc.address) == 101_500_000
    assert chain.get_balance(payer.address, "0x" + "00" * 20) == 0  # no gas token
    assert used(chain, payment)


def test_simulation_succeeds_without_changing_anything() -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 10)
    signature = parse_erc6492_signature(hex_to_bytes(payment.signature or ""))
    parsed = parse_eip3009_authorization(payment.authorization)

    ok, error = simulate_eip3009_transfer_result(chain, chain.usdc.address, parsed, signature)

    assert (ok, error) == (True, None)
    assert not used(chain, payment)
    assert chain.ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_000


def _expired(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    chain.clock = lambda: int(payment.authorization.valid_before)


def _not_yet_valid(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    chain.clock = lambda: int(payment.authorization.valid_after)


def _already_used(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    transfer(chain, payment)


def _tampered(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    payment.authorization.value = str(int(payment.authorization.value) + 1)


def _broke(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    chain.ledger.set_balance(BASE_SEPOLIA, payment.authorization.from_address, 999)


def _malleable_twin(chain: LocalChain, payment: ExactEIP3009Payload) -> None:
    # (r, n - s, 55 - v) recovers the same key; USDC's ECRecover refuses the high-s twin.
    raw = hex_to_bytes(payment.signature or "")
    s = int.from_bytes(raw[32:64], "big")
    twin = raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - raw[64]])
    payment.signature = "0x" + twin.hex()


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_expired, ERR_VALID_BEFORE_EXPIRED),
        (_not_yet_valid, ERR_VALID_AFTER_FUTURE),
        (_already_used, ERR_NONCE_ALREADY_USED),
        (_tampered, ERR_INVALID_SIGNATURE),
        (_malleable_twin, ERR_INVALID_SIGNATURE),
        (_broke, ERR_INSUFFICIENT_BALANCE),
    ],
)
def test_failed_transfer_reverts_with_a_reason_the_sdk_maps(
    spoil: Callable[[LocalChain, ExactEIP3009Payload], None], reason: str
) -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 1000)
    spoil(chain, payment)
    payer_before = chain.ledger.balance(BASE_SEPOLIA, payer.address)
    payee_before = chain.ledger.balance(BASE_SEPOLIA, payee.address)

    with pytest.raises(ContractRevert) as reverted:
        transfer(chain, payment)

    assert "execution reverted" in str(reverted.value)
    assert parse_eip3009_transfer_error(reverted.value) == reason
    assert chain.ledger.balance(BASE_SEPOLIA, payer.address) == payer_before
    assert chain.ledger.balance(BASE_SEPOLIA, payee.address) == payee_before


def test_reverted_transfer_consumes_no_nonce_and_mines_no_block() -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 1000)
    chain.ledger.set_balance(BASE_SEPOLIA, payer.address, 0)
    with pytest.raises(ContractRevert):
        transfer(chain, payment)

    chain.ledger.set_balance(BASE_SEPOLIA, payer.address, 1000)
    tx_hash = transfer(chain, payment)

    assert chain.wait_for_transaction_receipt(tx_hash).block_number == 1
    assert chain.ledger.balance(BASE_SEPOLIA, payer.address) == 0


@pytest.mark.parametrize(
    ("setup", "token_name", "reason"),
    [
        ("used", "USDC", ERR_NONCE_ALREADY_USED),
        ("broke", "USDC", ERR_INSUFFICIENT_BALANCE),
        ("fine", "USD Coin", ERR_TOKEN_NAME_MISMATCH),
        ("fine", "USDC", ERR_TRANSACTION_SIMULATION_FAILED),
    ],
)
def test_sdk_diagnosis_through_multicall3_reads_the_ledger(
    setup: str, token_name: str, reason: str
) -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 1000)
    if setup == "used":
        transfer(chain, payment)
    if setup == "broke":
        chain.ledger.set_balance(BASE_SEPOLIA, payer.address, 1)

    diagnosis = diagnose_eip3009_simulation_failure(
        chain, chain.usdc.address, payment.authorization, 1000, token_name, "2"
    )

    assert diagnosis == reason


def test_multicall3_reports_a_reverted_sub_call_and_keeps_nothing() -> None:
    from x402.mechanisms.evm.constants import TRANSFER_WITH_AUTHORIZATION_BYTES_ABI
    from x402.mechanisms.evm.multicall import MulticallCall, encode_contract_call, multicall

    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize(payer, payee.address, 1000)
    parsed = parse_eip3009_authorization(payment.authorization)
    calldata = encode_contract_call(
        TRANSFER_WITH_AUTHORIZATION_BYTES_ABI,
        "transferWithAuthorization",
        parsed.from_address,
        parsed.to,
        parsed.value,
        parsed.valid_after,
        parsed.valid_before,
        parsed.nonce,
        hex_to_bytes(payment.signature or ""),
    )
    token = chain.usdc.address

    first, replay = multicall(
        chain,
        [MulticallCall(address=token, call_data=calldata)] * 2,
    )

    assert first.success
    assert not replay.success
    assert "authorization is used or canceled" in str(replay.error)
    assert not used(chain, payment)  # eth_call: nothing persists


def test_verify_typed_data_really_recovers_the_signer() -> None:
    chain = make_chain()
    signer, other = new_account(), new_account()
    domain = TypedDataDomain(
        name="USDC", version="2", chain_id=84532, verifying_contract=chain.usdc.address
    )
    types = {"Note": [TypedDataField(name="text", type="string")]}
    message = {"text": "hello"}
    signature = EthAccountSigner(signer).sign_typed_data(domain, types, "Note", message)

    assert chain.verify_typed_data(signer.address, domain, types, "Note", message, signature)
    assert not chain.verify_typed_data(other.address, domain, types, "Note", message, signature)
    assert not chain.verify_typed_data(
        signer.address, domain, types, "Note", {"text": "bye"}, signature
    )


def test_receipts_are_found_only_on_their_own_network() -> None:
    ledger = Ledger()
    sepolia, base = make_chain(ledger, BASE_SEPOLIA), make_chain(ledger, BASE)
    payer, payee = new_account(), new_account()
    tx_hash = transfer(sepolia, authorize(payer, payee.address, 5))

    assert sepolia.wait_for_transaction_receipt(tx_hash.upper().replace("0X", "0x")).status == 1
    with pytest.raises(LookupError, match="not on the local eip155:8453 ledger"):
        base.wait_for_transaction_receipt(tx_hash)
    with pytest.raises(LookupError):
        sepolia.wait_for_transaction_receipt("0x" + "ab" * 32)


def test_a_signature_for_one_network_does_not_pay_on_the_other() -> None:
    ledger = Ledger()
    base = make_chain(ledger, BASE)
    payer, payee = new_account(), new_account()
    sepolia_payment = authorize(payer, payee.address, 5, network=BASE_SEPOLIA)
    # Same fields, Base's USDC: the domain (chain id, contract, name) differs.
    with pytest.raises(ContractRevert, match="invalid signature"):
        transfer(base, sepolia_payment)
