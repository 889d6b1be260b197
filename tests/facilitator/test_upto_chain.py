"""Local Permit2 and the x402 upto/exact proxies, called as the SDK's facilitator calls them."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from x402.mechanisms.evm.constants import (
    ERC20_ALLOWANCE_ABI,
    PERMIT2_ADDRESS,
    X402_UPTO_PERMIT2_PROXY_ABI,
    X402_UPTO_PERMIT2_PROXY_ADDRESS,
)
from x402.mechanisms.evm.default_assets import get_default_asset
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.types import UptoPermit2Payload
from x402.mechanisms.evm.upto.client import UptoEvmScheme as UptoEvmClientScheme
from x402.schemas import PaymentRequirements

from farebox.facilitator import Ledger, LocalChain
from farebox.facilitator.abi import ContractRevert
from farebox.facilitator.ledger import MAX_UINT256

from .payments import BASE_SEPOLIA, new_account

USDC = get_default_asset(BASE_SEPOLIA)["asset"]


def make_chain(ledger: Ledger | None = None, facilitator: str | None = None) -> LocalChain:
    ledger = ledger or Ledger()
    return LocalChain(ledger, BASE_SEPOLIA, facilitator or ledger.facilitator_address())


def authorize_upto(
    payer: LocalAccount, pay_to: str, ceiling: int, facilitator: str
) -> UptoPermit2Payload:
    """A Permit2 witness authorization as the SDK's upto client signs it."""
    requirements = PaymentRequirements(
        scheme="upto",
        network=BASE_SEPOLIA,
        asset=USDC,
        amount=str(ceiling),
        pay_to=pay_to,
        max_timeout_seconds=300,
        extra={"assetTransferMethod": "permit2", "facilitatorAddress": facilitator},
    )
    scheme = UptoEvmClientScheme(EthAccountSigner(payer))
    return UptoPermit2Payload.from_dict(scheme.create_payment_payload(requirements))


def settle_args(payment: UptoPermit2Payload, amount: int) -> tuple[Any, ...]:
    """x402UptoPermit2Proxy.settle(permit, amount, owner, witness, signature)."""
    auth = payment.permit2_authorization
    permit = (
        (auth.permitted.token, int(auth.permitted.amount)),
        int(auth.nonce),
        int(auth.deadline),
    )
    witness = (auth.witness.to, auth.witness.facilitator, int(auth.witness.valid_after))
    signature = bytes.fromhex((payment.signature or "").removeprefix("0x"))
    return permit, amount, auth.from_address, witness, signature


def settle(chain: LocalChain, args: tuple[Any, ...]) -> str:
    return chain.write_contract(
        X402_UPTO_PERMIT2_PROXY_ADDRESS, X402_UPTO_PERMIT2_PROXY_ABI, "settle", *args
    )


def test_every_payer_has_an_unlimited_permit2_allowance_and_no_other() -> None:
    chain = make_chain()
    payer = new_account().address
    allowance = chain.read_contract(USDC, ERC20_ALLOWANCE_ABI, "allowance", payer, PERMIT2_ADDRESS)
    other = chain.read_contract(USDC, ERC20_ALLOWANCE_ABI, "allowance", payer, payer)
    assert (allowance, other) == (MAX_UINT256, 0)


def test_settling_below_the_ceiling_moves_exactly_the_settled_amount() -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize_upto(payer, payee.address, 50_000, chain.facilitator_address)

    tx_hash = settle(chain, settle_args(payment, 12_345))

    assert chain.ledger.balance(BASE_SEPOLIA, payer.address) == 100_000_000 - 12_345
    assert chain.ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_000 + 12_345
    nonce = int(payment.permit2_authorization.nonce)
    assert chain.ledger.permit2_nonce_used(BASE_SEPOLIA, payer.address, nonce)
    (log,) = chain.wait_for_transaction_receipt(tx_hash).logs or []
    assert log["address"] == USDC and int(log["data"], 16) == 12_345


def _above_ceiling(chain: LocalChain, args: list[Any]) -> None:
    args[1] = args[0][0][1] + 1


def _replayed(chain: LocalChain, args: list[Any]) -> None:
    settle(chain, tuple(args))


def _redirected(chain: LocalChain, args: list[Any]) -> None:
    _, facilitator, valid_after = args[3]
    args[3] = (new_account().address, facilitator, valid_after)


def _expired(chain: LocalChain, args: list[Any]) -> None:
    chain.clock = lambda: args[0][2] + 1


def _early(chain: LocalChain, args: list[Any]) -> None:
    to, facilitator, _ = args[3]
    args[3] = (to, facilitator, 2**40)


def _broke(chain: LocalChain, args: list[Any]) -> None:
    chain.ledger.set_balance(BASE_SEPOLIA, args[2], 10)


@pytest.mark.parametrize(
    ("spoil", "revert"),
    [
        (_above_ceiling, "AmountExceedsPermitted"),
        (_replayed, "InvalidNonce"),
        (_redirected, "InvalidSignature"),
        (_expired, "SignatureExpired"),
        (_early, "PaymentTooEarly"),
        (_broke, "transfer amount exceeds balance"),
    ],
)
def test_upto_settle_reverts_like_the_contracts(spoil: Any, revert: str) -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize_upto(payer, payee.address, 50_000, chain.facilitator_address)
    args = list(settle_args(payment, 10_000))
    spoil(chain, args)
    before = chain.ledger.balance(BASE_SEPOLIA, payee.address)

    with pytest.raises(ContractRevert, match=revert):
        settle(chain, tuple(args))

    assert chain.ledger.balance(BASE_SEPOLIA, payee.address) == before


def test_only_the_facilitator_named_in_the_witness_may_settle() -> None:
    ledger = Ledger()
    named, intruder = make_chain(ledger), make_chain(ledger, new_account().address)
    payer, payee = new_account(), new_account()
    payment = authorize_upto(payer, payee.address, 50_000, named.facilitator_address)

    with pytest.raises(ContractRevert, match="UnauthorizedFacilitator"):
        settle(intruder, settle_args(payment, 1))
    settle(named, settle_args(payment, 1))

    assert ledger.balance(BASE_SEPOLIA, payee.address) == 100_000_001


def test_simulated_settle_consumes_nothing() -> None:
    chain = make_chain()
    payer, payee = new_account(), new_account()
    payment = authorize_upto(payer, payee.address, 50_000, chain.facilitator_address)

    chain.read_contract(
        X402_UPTO_PERMIT2_PROXY_ADDRESS,
        X402_UPTO_PERMIT2_PROXY_ABI,
        "settle",
        *settle_args(payment, 50_000),
    )
    settle(chain, settle_args(payment, 50_000))

    assert chain.ledger.balance(BASE_SEPOLIA, payee.address) == 100_050_000
