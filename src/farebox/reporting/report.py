"""What `farebox report` computes from ledger rows: totals per route, model or payer.

Revenue counts settled rows only (what actually moved); upstream cost counts every row
with a known cost, settled or not, because the upstream bills a request whether or not
the caller paid. Margin is (revenue - cost) / revenue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from farebox.pricing.money import atomic_to_dollars
from farebox.stores.ledger_rows import LedgerRow, Outcome

GROUPINGS = ("route", "model", "payer")
NONE_KEY = "(none)"
TOTAL_KEY = "(total)"
UNPAID = frozenset({Outcome.NOT_SETTLED, Outcome.SETTLE_FAILED, Outcome.EXPIRED})

_CENT_OF_PERCENT = Decimal("0.01")
_TENTH = Decimal("0.1")
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ReportError(ValueError):
    """A report option that cannot be used; the message says what would be right."""


@dataclass
class ReportLine:
    """Totals of one group (or of everything, key "(total)")."""

    key: str
    requests: int = 0
    settled: int = 0
    revenue: int = 0  # USDC atomic units, settled rows only
    upstream_cost: Decimal = Decimal(0)  # USD, rows with a known cost
    uncosted: int = 0  # rows whose upstream cost is unknown
    not_settled: int = 0  # not-settled, settle-failed, expired
    pending: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    tokens_in: int = 0
    tokens_out: int = 0
    with_tokens: int = 0

    @property
    def revenue_usd(self) -> Decimal:
        return atomic_to_dollars(self.revenue)

    @property
    def margin_pct(self) -> Decimal | None:
        """Percent of revenue left after upstream cost; None without revenue."""
        if self.revenue == 0:
            return None
        margin = (self.revenue_usd - self.upstream_cost) / self.revenue_usd * 100
        return margin.quantize(_CENT_OF_PERCENT)

    @property
    def avg_input_tokens(self) -> Decimal | None:
        return _average(self.tokens_in, self.with_tokens)

    @property
    def avg_output_tokens(self) -> Decimal | None:
        return _average(self.tokens_out, self.with_tokens)

    def add(self, row: LedgerRow) -> None:
        self.requests += 1
        if row.outcome == Outcome.SETTLED:
            self.settled += 1
            self.revenue += row.charged
        elif row.outcome == Outcome.PENDING:
            self.pending += 1
        elif row.outcome in UNPAID:
            self.not_settled += 1
            reason = f"{row.outcome}: {row.reason}" if row.reason else row.outcome
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if row.upstream_cost is None:
            self.uncosted += 1
        else:
            self.upstream_cost += row.upstream_cost
        if row.input_tokens is not None and row.output_tokens is not None:
            self.with_tokens += 1
            self.tokens_in += row.input_tokens
            self.tokens_out += row.output_tokens


@dataclass(frozen=True)
class Report:
    by: str
    since: datetime | None
    lines: list[ReportLine]  # highest revenue first
    total: ReportLine


def summarize(rows: Iterable[LedgerRow], by: str, since: datetime | None = None) -> Report:
    key_of = _grouping(by)
    groups: dict[str, ReportLine] = {}
    total = ReportLine(TOTAL_KEY)
    for row in rows:
        key = key_of(row) or NONE_KEY
        groups.setdefault(key, ReportLine(key)).add(row)
        total.add(row)
    lines = sorted(groups.values(), key=lambda line: (-line.revenue, line.key))
    return Report(by=by, since=since, lines=lines, total=total)


def parse_since(text: str, now: datetime | None = None) -> datetime | None:
    """ "7d", "24h", "90m", "1w2d", a date ("2026-03-01") or time in UTC; "all" for None."""
    value = text.strip().lower()
    if value == "all":
        return None
    moment = now or datetime.now(UTC)
    if _DURATION.fullmatch(value) or re.fullmatch(rf"(?:{_DURATION.pattern}\s*)+", value):
        span = timedelta()
        for amount, unit in _DURATION.findall(value):
            span += timedelta(**{_UNITS[unit]: int(amount)})
        return moment - span
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(
            f'--since: "{text}" is not a time span like 7d, 24h, 30m, 2w, a UTC date like '
            '2026-03-01, or "all"'
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _grouping(by: str) -> Callable[[LedgerRow], str | None]:
    if by == "route":
        return lambda row: row.route
    if by == "model":
        return lambda row: row.model
    if by == "payer":
        return lambda row: row.payer
    raise ReportError(f'--by: "{by}" is not a grouping; use one of: {", ".join(GROUPINGS)}')


def _average(total: int, n: int) -> Decimal | None:
    return (Decimal(total) / n).quantize(_TENTH) if n else None
