"""What a hook's return value means, checked strictly.

A value a hook may not return is a BadHookResult; the hook set turns it into
a HookFailed (a 500 naming the hook), because guessing what an operator meant
is how money goes wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from farebox.hooks.types import PriceOverride, Reject, ResponseOverride
from farebox.pricing.money import PriceError, atomic_to_dollars, format_dollars, parse_dollars

DEFAULT_MAX_PRICE = 10_000_000
"""$10: the highest price a pricing function or onPriceResolved may set unless `maxPrice` says."""

_REJECT_KEYS = frozenset({"reject", "status", "body", "headers"})
_PRICE_KEYS = frozenset({"price", "atomic"})
_RESPONSE_KEYS = frozenset({"status", "headers", "body", "settle"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
# Framing is farebox's job: a hook setting these would corrupt the response.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})

_REJECT_FORMS = 'Reject(400, "why"), {"reject": True, "status": 400, "body": "why"} or None'
_PRICE_FORMS = 'a price in dollars (0.02, Decimal("0.02"), "$0.02"), PriceOverride(...) or None'
_RESPONSE_FORMS = (
    '{"settle": False}, {"status": ..., "headers": ..., "body": ...}, ResponseOverride(...) or None'
)


class BadHookResult(ValueError):
    """A hook returned something it may not; the message says what would be right."""


# --- onRequest / onPriceResolved: a rejection ---------------------------------


def is_reject(result: object) -> bool:
    """True for a Reject or a {"reject": ...} mapping (which interpret_reject then checks)."""
    return isinstance(result, Reject) or (isinstance(result, Mapping) and "reject" in result)


def interpret_reject(result: object) -> Reject | None:
    """A Reject, {"reject": True, "status": ..., "body": ..., "headers": ...}, or None."""
    if result is None:
        return None
    if isinstance(result, Reject):
        check_headers(result.headers)
        return result
    if not isinstance(result, Mapping) or "reject" not in result:
        raise BadHookResult(f"{shown(result)} is not a rejection; return {_REJECT_FORMS}")
    _only(result, _REJECT_KEYS, "a rejection")
    if not isinstance(result["reject"], bool):
        raise BadHookResult(f'"reject" must be True or False, not {shown(result["reject"])}')
    if not result["reject"]:
        return None
    try:
        reject = Reject(
            status=result.get("status", 400),
            body=result.get("body", "Request rejected"),
            headers=result.get("headers"),
        )
    except (TypeError, ValueError) as exc:
        raise BadHookResult(str(exc)) from None
    check_headers(reject.headers)
    return reject


# --- onPriceResolved / pricing functions: a price -----------------------------


def interpret_price(result: object, *, max_price: int = DEFAULT_MAX_PRICE) -> int | None:
    """A new price in atomic units, or None to keep the quoted one."""
    if result is None:
        return None
    if isinstance(result, Mapping):
        _only(result, _PRICE_KEYS, "a price")
        try:
            result = PriceOverride(price=result.get("price"), atomic=result.get("atomic"))
        except ValueError as exc:
            raise BadHookResult(str(exc)) from None
    if isinstance(result, PriceOverride):
        if result.atomic is not None:
            return atomic_price(result.atomic, max_price=max_price)
        result = result.price
    if isinstance(result, bool) or not isinstance(result, int | float | Decimal | str):
        raise BadHookResult(f"{shown(result)} is not a price; return {_PRICE_FORMS}")
    return dollars_to_price(result, max_price=max_price)


def dollars_to_price(value: object, *, max_price: int = DEFAULT_MAX_PRICE) -> int:
    """Dollars (number, Decimal or "$0.02") to atomic units, rounded to the nearest unit.

    Computed prices carry float noise (0.1 * 3 is 0.30000000000000004), so they
    are rounded half up to $0.000001 rather than refused; a positive price
    never rounds down to free.
    """
    try:
        dollars = parse_dollars(value)  # refuses negatives, NaN, infinity, non-numbers
    except PriceError as exc:
        raise BadHookResult(str(exc)) from None
    if dollars > atomic_to_dollars(max_price):  # first: 1e999999 must not reach arithmetic
        raise BadHookResult(_above_max(shown(value), max_price))
    scaled = dollars.scaleb(6)
    atomic = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 1 if atomic == 0 and scaled > 0 else atomic


def atomic_price(value: object, *, max_price: int = DEFAULT_MAX_PRICE) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadHookResult(f"atomic={shown(value)} is not a whole number of USDC atomic units")
    if value < 0:
        raise BadHookResult(f"atomic={value} is negative; a price is zero or more")
    if value > max_price:
        raise BadHookResult(_above_max(f"atomic={value}", max_price))
    return value


def _above_max(what: str, max_price: int) -> str:
    return (
        f"{what} is above the maximum price {format_dollars(max_price)}; "
        "return a price in dollars (0.02 is two cents), or raise maxPrice if this is intended"
    )


# --- onResponse ---------------------------------------------------------------


def interpret_response(result: object) -> ResponseOverride | None:
    """A ResponseOverride, a mapping of its fields, or None (relay as is, settle as usual)."""
    if result is None:
        return None
    if isinstance(result, ResponseOverride):
        check_headers(result.headers)
        return result
    if not isinstance(result, Mapping):
        raise BadHookResult(f"{shown(result)} is not a response change; return {_RESPONSE_FORMS}")
    if "reject" in result:
        raise BadHookResult(
            "onResponse cannot reject (the upstream already answered); to refuse payment "
            'return {"settle": False}, optionally with "status" and "body" to change the response'
        )
    _only(result, _RESPONSE_KEYS, "a response change")
    body = result.get("body")
    if body is not None and not isinstance(body, bytes | str | dict | list):
        raise BadHookResult(f'"body" must be bytes, text, a dict or a list, not {shown(body)}')
    try:
        override = ResponseOverride(
            status=result.get("status"),
            headers=result.get("headers"),
            body=body,
            settle=result.get("settle", True),
        )
    except (TypeError, ValueError) as exc:
        raise BadHookResult(str(exc)) from None
    check_headers(override.headers)
    return override


# --- shared checks ------------------------------------------------------------


def check_headers(headers: object) -> None:
    """Header names and values a hook sets must be text, one line each."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise BadHookResult(f"headers must be a mapping of name to value, not {shown(headers)}")
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise BadHookResult(f"{shown(name)} is not a valid header name")
        if not isinstance(value, str) or not _one_line_latin1(value):
            raise BadHookResult(
                f"header {name}: {shown(value)} is not a one-line text value (Latin-1 only)"
            )
        if name.lower() in _FRAMING:
            raise BadHookResult(f"header {name} is set by farebox; a hook cannot set it")


def _one_line_latin1(value: str) -> bool:
    if "\r" in value or "\n" in value or "\0" in value:
        return False
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _only(result: Mapping[Any, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(str(k) for k in result if k not in allowed)
    if unknown:
        keys = ", ".join(f'"{k}"' for k in sorted(allowed))
        raise BadHookResult(
            f"unknown key {', '.join(repr(k) for k in unknown)} in {what}; the keys are {keys}"
        )


def shown(value: object) -> str:
    """A short rendering of a returned value for messages."""
    try:
        text = json.dumps(value) if isinstance(value, str) else repr(value)
    except Exception:  # a repr that raises is the operator's bug; still say something
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = [
    "DEFAULT_MAX_PRICE",
    "BadHookResult",
    "atomic_price",
    "check_headers",
    "dollars_to_price",
    "interpret_price",
    "interpret_reject",
    "interpret_response",
    "is_reject",
    "shown",
]
