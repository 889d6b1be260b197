"""Reading the caller's payment header and binding it to this request's price."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from pydantic import ValidationError
from x402.schemas import PaymentPayload, PaymentRequirements

PAYMENT_SIGNATURE = "payment-signature"

# Longer than any honest payload (a few hundred bytes of JSON); stops decode work on junk.
MAX_HEADER_BYTES = 16 * 1024


class PaymentRejected(Exception):
    """The payment cannot buy this request; the message tells the caller why."""


def decode_payment(header: str) -> PaymentPayload:
    """Decode a PAYMENT-SIGNATURE value (base64 JSON, x402 v2)."""
    if len(header) > MAX_HEADER_BYTES:
        raise PaymentRejected(f"PAYMENT-SIGNATURE is longer than {MAX_HEADER_BYTES} bytes")
    try:
        data = json.loads(base64.b64decode(header.strip(), validate=True))
    except (binascii.Error, ValueError):
        raise PaymentRejected(
            "PAYMENT-SIGNATURE is not base64-encoded JSON; send the x402 v2 payment payload "
            "encoded as the 402 response's PAYMENT-REQUIRED header describes"
        ) from None
    if not isinstance(data, dict):
        raise PaymentRejected("PAYMENT-SIGNATURE must decode to a JSON object")
    version = data.get("x402Version")
    if version != 2:
        raise PaymentRejected(
            f"x402Version {version!r} is not supported; this gateway speaks x402 v2"
        )
    try:
        return PaymentPayload.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise PaymentRejected(f"PAYMENT-SIGNATURE payload is malformed at {where}") from None


def bind_to_price(
    payload: PaymentPayload, offered: list[PaymentRequirements]
) -> PaymentRequirements:
    """Pick our requirement the payment was made for, refusing any that differ.

    Only our own requirement object is ever sent to the facilitator, so a
    payment signed for a cheaper request can never be verified as this one.
    """
    accepted = payload.accepted
    candidates = [
        r for r in offered if r.scheme == accepted.scheme and r.network == accepted.network
    ]
    if not candidates:
        ways = ", ".join(f"{r.scheme} on {r.network}" for r in offered)
        raise PaymentRejected(
            f"payment uses {accepted.scheme} on {accepted.network}, but this route accepts {ways}"
        )
    for req in candidates:
        problem = _mismatch(req, accepted)
        if problem is None:
            return req
    raise PaymentRejected(_mismatch(candidates[0], accepted) or "payment does not match")


def _mismatch(ours: PaymentRequirements, theirs: PaymentRequirements) -> str | None:
    if ours.asset.lower() != theirs.asset.lower():
        return f"payment is in asset {theirs.asset}, but this route is priced in {ours.asset}"
    if ours.pay_to.lower() != theirs.pay_to.lower():
        return f"payment is made out to {theirs.pay_to}, but this route is paid to {ours.pay_to}"
    if ours.amount != theirs.amount:
        return (
            f"payment is for {theirs.amount} atomic units, but this request costs {ours.amount}; "
            "request a fresh 402 for this exact request"
        )
    return None


def payment_key(payload: PaymentPayload) -> str:
    """Identity of the authorization itself, for the replay lock.

    Keyed on (network, payer, nonce) rather than the signature bytes, since an
    ECDSA signature can be re-encoded into a second valid form for the same
    authorization.
    """
    inner: dict[str, Any] = payload.payload
    auth = inner.get("authorization") or inner.get("permit2Authorization") or {}
    payer = str(auth.get("from", "")).lower()
    nonce = str(auth.get("nonce", ""))
    if payer and nonce:
        return f"{payload.accepted.network}:{payer}:{nonce}"
    digest = hashlib.sha256(json.dumps(inner, sort_keys=True).encode()).hexdigest()
    return f"{payload.accepted.network}:payload:{digest}"


def payer_of(payload: PaymentPayload) -> str | None:
    inner: dict[str, Any] = payload.payload
    auth = inner.get("authorization") or inner.get("permit2Authorization") or {}
    payer = auth.get("from")
    return str(payer) if payer else None
