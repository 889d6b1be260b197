"""Request parsing for the facilitator's HTTP API; every refusal says what would be right."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError
from x402.schemas import PaymentPayload, PaymentRequirements

from farebox.pricing.money import PriceError, parse_price

_DIGITS = re.compile(r"[0-9]+")

PAYMENT_BODY_SHAPE = '{"x402Version": 2, "paymentPayload": {...}, "paymentRequirements": {...}}'


class BadRequest(ValueError):
    """A request the facilitator refuses with HTTP 400; the message is for the caller."""


def parse_json_object(body: bytes, endpoint: str, shape: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"{endpoint}: the body is not JSON ({exc}); send {shape}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"{endpoint}: the body must be a JSON object like {shape}")
    return data


def parse_payment_request(body: bytes, endpoint: str) -> tuple[PaymentPayload, PaymentRequirements]:
    """The SDK's verify/settle body: x402Version, paymentPayload, paymentRequirements."""
    data = parse_json_object(body, endpoint, PAYMENT_BODY_SHAPE)
    missing = [k for k in ("x402Version", "paymentPayload", "paymentRequirements") if k not in data]
    if missing:
        raise BadRequest(
            f"{endpoint}: missing {', '.join(missing)}; the body must be {PAYMENT_BODY_SHAPE}"
        )
    version = data["x402Version"]
    if version != 2:
        raise BadRequest(
            f"{endpoint}: x402Version {version!r} is not supported; "
            "the local facilitator speaks x402 version 2"
        )
    payload = _validate(PaymentPayload, data["paymentPayload"], endpoint, "paymentPayload")
    requirements = _validate(
        PaymentRequirements, data["paymentRequirements"], endpoint, "paymentRequirements"
    )
    return payload, requirements


def _validate(model: Any, value: Any, endpoint: str, field: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join([field, *(str(p) for p in error['loc'])])}: {error['msg']}"
            for error in exc.errors()
        )
        raise BadRequest(f"{endpoint}: {problems}") from None


def parse_fund_amount(value: object) -> int:
    """Atomic units as an int or a digit string, or dollars with a "$" ("$5")."""
    if isinstance(value, bool):
        raise BadRequest(f"amount {value!r} is not an amount; {_AMOUNT_FORMS}")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str) and value.strip().startswith("$"):
        try:
            amount = parse_price(value)
        except PriceError as exc:
            raise BadRequest(f"amount: {exc}") from None
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        amount = int(value.strip())
    else:
        raise BadRequest(f"amount {value!r} is ambiguous or malformed; {_AMOUNT_FORMS}")
    if amount <= 0:
        raise BadRequest(f"amount must be more than zero, got {value!r}; {_AMOUNT_FORMS}")
    return amount


_AMOUNT_FORMS = (
    'give atomic USDC units as a whole number (5000000 or "5000000" is $5) '
    'or dollars with a "$" ("$5", "$0.25")'
)
