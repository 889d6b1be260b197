"""The embedded local x402 facilitator: a test ledger, not a blockchain.

**No real money moves here.** Balances are test USDC in a local ledger (SQLite file,
or memory); nothing is broadcast to Base or any other chain, and the facilitator holds
no keys to any funds. Use it to develop, demo and test farebox entirely offline.

What it is
    An x402 facilitator (``GET /supported``, ``POST /verify``, ``POST /settle``, the
    same JSON as the SDK's ``HTTPFacilitatorClient`` sends and expects) for Base
    (``eip155:8453``) and Base Sepolia (``eip155:84532``), USDC only. Verification and
    settlement are the official x402 SDK's facilitator schemes; underneath them,
    ``LocalChain`` answers the SDK's ``FacilitatorEvmSigner`` calls from the ledger and
    plays the contracts those schemes talk to: USDC (EIP-3009
    ``transferWithAuthorization``), Permit2, the x402 exact and upto Permit2 proxies,
    and Multicall3. Signatures are really recovered (EIP-712), nonces are used once,
    validity windows and balances are enforced, and failures revert with the real
    contracts' reasons, which the SDK maps to its usual error codes.

Schemes
    ``exact``: EIP-3009, a fixed amount. ``upto``: a Permit2 witness transfer capped at
    a signed ceiling; the server settles the metered amount at or below it. Every payer
    is treated as having approved Permit2 without limit (the one-time on-chain
    ``approve`` a real wallet would need). ``upto`` needs the SDK's extensions
    (``jsonschema``); without them it is not advertised.

Ledger rules
    Every address starts with ``initial_balance`` atomic units (default $100) on each
    network until first written. ``POST /fund`` adds more; ``GET /balances/{address}``
    shows it. Each successful settlement is mined as its own block with a receipt
    carrying the ERC-20 ``Transfer`` log. The facilitator's address is generated once
    per ledger and kept in it (upto authorizations name it).

Use it
    In process: ``build_local_facilitator()`` returns a ``LocalFacilitator`` with the
    async surface of ``HTTPFacilitatorClient`` (pass it to ``x402ResourceServer``).
    Over HTTP: ``run_facilitator(port=4020, db="ledger.db")``, or
    ``build_facilitator_app(facilitator)`` for any ASGI server.
"""

from .app import build_facilitator_app
from .chain import LocalChain
from .ledger import Ledger, LedgerError
from .local import LocalFacilitator, build_local_facilitator
from .server import run_facilitator

__all__ = [
    "Ledger",
    "LedgerError",
    "LocalChain",
    "LocalFacilitator",
    "build_facilitator_app",
    "build_local_facilitator",
    "run_facilitator",
]
