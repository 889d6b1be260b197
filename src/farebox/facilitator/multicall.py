"""Local Multicall3.tryAggregate, which the SDK uses to diagnose failed simulations."""

from __future__ import annotations

from collections.abc import Callable

from x402.mechanisms.evm.constants import MULTICALL3_ADDRESS, MULTICALL3_TRY_AGGREGATE_ABI

from .abi import ContractRevert, revert
from .evm import Call, Contract

Dispatch = Callable[[Call, str, bytes], bytes]


class LocalMulticall3(Contract):
    """Runs each sub-call in order; state carries across them, a revert undoes only its own."""

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__(MULTICALL3_ADDRESS)
        self._dispatch = dispatch
        self.expose(MULTICALL3_TRY_AGGREGATE_ABI, "tryAggregate", self.try_aggregate)

    def try_aggregate(
        self, call: Call, require_success: bool, calls: tuple[tuple[str, bytes], ...]
    ) -> list[tuple[bool, bytes]]:
        results: list[tuple[bool, bytes]] = []
        for target, calldata in calls:
            sub_call = call.from_contract(self.address)
            sub_call.logs = []
            try:
                with call.view.savepoint():
                    output = self._dispatch(sub_call, target, calldata)
            except ContractRevert as failure:
                if require_success:
                    raise revert("Multicall3: call failed") from failure
                results.append((False, failure.data))
                continue
            call.logs.extend(sub_call.logs)
            results.append((True, output))
        return results
