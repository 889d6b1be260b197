"""Per-token rates and markups, exact: "$2.00/1M" is 2 atomic units per token."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import MAX_PREC, Decimal, InvalidOperation, localcontext

from farebox.pricing.money import ATOMIC_PER_DOLLAR, PriceError

_RATE = re.compile(
    r"^\s*\$?\s*(?P<amount>[0-9][0-9_]*(?:\.[0-9]+)?|\.[0-9]+)\s*/\s*(?P<per>1M|1K|M|K|token|tok|1)\s*(?:tokens?)?\s*$",
    re.IGNORECASE,
)
_PER = {"1m": 1_000_000, "m": 1_000_000, "1k": 1_000, "k": 1_000, "token": 1, "tok": 1, "1": 1}
_PERCENT = re.compile(r"^\s*(?P<n>[0-9]+(?:\.[0-9]+)?)\s*%\s*$")
PER_MILLION = Decimal(1_000_000)


def parse_rate(value: object) -> Decimal:
    """A per-token rate in atomic units per token (may be fractional)."""
    text = (
        str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""
    )
    match = _RATE.match(text)
    if match is None:
        raise PriceError(
            f'{_show(value)} is not a per-token rate like "$2.00/1M" (also "/1K" or "/token")'
        )
    dollars = Decimal(match["amount"].replace("_", ""))
    return dollars * ATOMIC_PER_DOLLAR / _PER[match["per"].lower()]


def format_rate(atomic_per_token: Decimal) -> str:
    """Render a rate as dollars per million tokens: "$2.50/1M"."""
    per_million = atomic_per_token * PER_MILLION / ATOMIC_PER_DOLLAR
    text = f"{per_million.normalize():f}"
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}/1M"


def parse_percent(value: object) -> Decimal:
    """ "30%" -> Decimal("0.30"). Only the explicit percent form, so 0.3 vs 30 is never guessed."""
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if match is None:
        raise PriceError(f'{_show(value)} is not a percentage like "30%"')
    try:
        return Decimal(match["n"]) / 100
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise PriceError(f'{_show(value)} is not a percentage like "30%"') from None


@dataclass(frozen=True, slots=True)
class TokenRates:
    """What one token costs, in atomic units (Decimal: rates are often fractions of a unit)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None  # reading a prompt cache; default: the input rate
    cache_write: Decimal | None = None  # writing one (Anthropic); default: the input rate

    def scaled(self, factor: Decimal) -> TokenRates:
        def times(rate: Decimal | None) -> Decimal | None:
            return rate * factor if rate is not None else None

        return TokenRates(
            self.input * factor,
            self.output * factor,
            times(self.cached_input),
            times(self.cache_write),
        )

    @property
    def dearest_input(self) -> Decimal:
        """The highest rate any input token can be billed at: what a ceiling must assume."""
        return max(r for r in (self.input, self.cached_input, self.cache_write) if r is not None)

    def ceiling(self, input_tokens: int, output_tokens: int) -> int:
        return _rounded_up((input_tokens, self.dearest_input), (output_tokens, self.output))

    def charge(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> int:
        """Atomic units for this usage, rounded up to a whole unit.

        Cache reads and writes are parts of the input count (farebox.llm.Usage);
        each is billed at its own rate when one is set, else at the input rate.
        """
        cached = min(cached_input_tokens, input_tokens)
        written = min(cache_write_tokens, input_tokens - cached)
        cached_rate = self.cached_input if self.cached_input is not None else self.input
        write_rate = self.cache_write if self.cache_write is not None else self.input
        return _rounded_up(
            (input_tokens - cached - written, self.input),
            (cached, cached_rate),
            (written, write_rate),
            (output_tokens, self.output),
        )

    def describe(self) -> dict[str, str]:
        out = {"input": format_rate(self.input), "output": format_rate(self.output)}
        if self.cached_input is not None:
            out["cachedInput"] = format_rate(self.cached_input)
        if self.cache_write is not None:
            out["cacheWrite"] = format_rate(self.cache_write)
        return out


def _rounded_up(*terms: tuple[int, Decimal]) -> int:
    """Sum of tokens x rate, exactly, rounded up to a whole atomic unit."""
    with localcontext() as context:
        # Unbounded precision makes these products and sums exact: the default 28 digits
        # would round long rates, and a sum rounded down could be charged below its cost.
        context.prec = MAX_PREC
        return math.ceil(sum((Decimal(tokens) * rate for tokens, rate in terms), Decimal(0)))


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
