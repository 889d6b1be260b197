"""Dollar prices <-> USDC atomic units, with exact decimal arithmetic only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

USDC_DECIMALS = 6
ATOMIC_PER_DOLLAR: int = 10**USDC_DECIMALS  # annotated: int ** int is Any to mypy


class PriceError(ValueError):
    """A value that is not a usable price; the message says what would be right."""


def parse_dollars(value: object) -> Decimal:
    """Read a dollar amount: "$0.01", "0.01", 0.01 (YAML number) or a Decimal.

    Floats are accepted only through their shortest repr, so YAML's 0.01 means
    exactly one cent.
    """
    if isinstance(value, bool):
        raise PriceError(f'{value!r} is not a price like "$0.01"')
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float):
        amount = _to_decimal(repr(value), value)
    elif isinstance(value, str):
        text = value.strip()
        text = text[1:].strip() if text.startswith("$") else text
        amount = _to_decimal(text.replace("_", ""), value)
    else:
        raise PriceError(f'{value!r} is not a price like "$0.01"')
    if not amount.is_finite():
        raise PriceError(f'{_show(value)} is not a price like "$0.01"')
    if amount < 0:
        raise PriceError(f'{_show(value)} is negative; a price is zero or more, like "$0.01"')
    return amount


def dollars_to_atomic(amount: Decimal, *, source: object | None = None) -> int:
    """Convert whole dollars to atomic units; refuse fractions of a unit."""
    scaled = amount * ATOMIC_PER_DOLLAR
    if scaled != scaled.to_integral_value():
        shown = _show(source if source is not None else amount)
        raise PriceError(
            f"{shown} is not a whole number of USDC atomic units "
            f"(USDC has {USDC_DECIMALS} decimals; the smallest price step is $0.000001)"
        )
    return int(scaled)


def parse_price(value: object) -> int:
    """A configured price in atomic units."""
    return dollars_to_atomic(parse_dollars(value), source=value)


def atomic_to_dollars(atomic: int) -> Decimal:
    return Decimal(atomic) / ATOMIC_PER_DOLLAR


def format_dollars(atomic: int) -> str:
    """Render atomic units as "$0.012" (no trailing zeros past the cents)."""
    text = f"{atomic_to_dollars(atomic):.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"


def _to_decimal(text: str, original: object) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise PriceError(f'{_show(original)} is not a price like "$0.01"') from None


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
