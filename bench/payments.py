"""Unsigned, single-use PAYMENT-SIGNATURE headers for the paid scenarios.

The facilitator stub checks no signature, so a header only has to be a valid
x402 v2 payload for the route's requirements. Each carries a fresh nonce,
because the gateway holds a replay lock per (network, payer, nonce) and would
refuse a second request with the same authorization.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from x402.http.utils import decode_payment_required_header
from x402.schemas import PaymentPayload, PaymentRequired, PaymentRequirements

PAYER = "0x" + "ab" * 20
DUMMY_SIGNATURE = "0x" + "11" * 65
VALID_FOR_SECONDS = 600


def requirements_from_402(payment_required_header: str) -> PaymentRequirements:
    """The first payment option a 402's PAYMENT-REQUIRED header offers."""
    required = decode_payment_required_header(payment_required_header)
    if not isinstance(required, PaymentRequired) or not required.accepts:
        raise ValueError(f"the 402 offered no x402 v2 payment option: {required!r}")
    return required.accepts[0]


def payment_payload(accepted: dict[str, Any], nonce: str, valid_before: int) -> dict[str, Any]:
    return {
        "x402Version": 2,
        "accepted": accepted,
        "payload": {
            "signature": DUMMY_SIGNATURE,
            "authorization": {
                "from": PAYER,
                "to": accepted["payTo"],
                "value": accepted["amount"],
                "validAfter": "0",
                "validBefore": str(valid_before),
                "nonce": nonce,
            },
        },
    }


def unsigned_payment_headers(requirements: PaymentRequirements, count: int) -> list[str]:
    """`count` distinct PAYMENT-SIGNATURE values paying exactly `requirements`."""
    accepted = requirements.model_dump(by_alias=True, exclude_none=True)
    valid_before = int(time.time()) + VALID_FOR_SECONDS
    nonces = os.urandom(32 * count).hex()
    headers = []
    for i in range(count):
        nonce = "0x" + nonces[64 * i : 64 * (i + 1)]
        body = json.dumps(payment_payload(accepted, nonce, valid_before), separators=(",", ":"))
        headers.append(base64.b64encode(body.encode()).decode())
    if headers:  # prove the shape once with the SDK's own model
        PaymentPayload.model_validate_json(base64.b64decode(headers[0]))
    return headers


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path
