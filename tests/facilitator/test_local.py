"""LocalFacilitator in process, as the SDK's resource server's facilitator client."""

from __future__ import annotations

from farebox.facilitator import LocalFacilitator

from .payments import BASE, Shop, new_account, with_authorization


async def test_resource_server_verifies_and_settles_through_the_in_process_facilitator(
    facilitator: LocalFacilitator,
) -> None:
    shop = Shop(facilitator)
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$0.07", payee.address, network=BASE)
    payload = await shop.pay(payer, requirements)

    verified = await shop.server.verify_payment(payload, requirements)
    settled = await shop.server.settle_payment(payload, requirements)

    assert verified.is_valid, verified
    assert settled.success, settled
    assert facilitator.ledger.balance(BASE, payee.address) == 100_070_000


async def test_in_process_verify_reports_the_sdk_reason(facilitator: LocalFacilitator) -> None:
    shop = Shop(facilitator)
    payer, payee = new_account(), new_account()
    requirements = shop.requirements("$0.07", payee.address)
    payload = with_authorization(await shop.pay(payer, requirements), value="70001")

    verified = await facilitator.verify(payload, requirements)

    assert not verified.is_valid
    assert verified.invalid_reason == "invalid_exact_evm_payload_authorization_value_mismatch"


def test_supported_kinds_name_the_ledgers_facilitator(facilitator: LocalFacilitator) -> None:
    supported = facilitator.get_supported()
    assert supported.signers == {"eip155:*": [facilitator.ledger.facilitator_address()]}
    assert {kind.network for kind in supported.kinds} == {"eip155:8453", "eip155:84532"}
