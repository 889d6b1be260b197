"""A report as a terminal table, JSON or CSV. Money in JSON and CSV is an exact decimal
string of USD; the table rounds to the micro-dollar."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from farebox.pricing.money import format_dollars
from farebox.reporting.report import Report, ReportLine

FORMATS = ("table", "json", "csv")
CSV_COLUMNS = (
    "requests",
    "settled",
    "revenue_usd",
    "upstream_cost_usd",
    "uncosted",
    "margin_pct",
    "not_settled",
    "pending",
    "reasons",
    "avg_input_tokens",
    "avg_output_tokens",
)
_MICRO = Decimal("0.000001")


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    return render_table(report)


def line_fields(line: ReportLine) -> dict[str, Any]:
    """One line's figures, exact: money and averages as decimal strings."""
    return {
        "requests": line.requests,
        "settled": line.settled,
        "revenue_usd": str(line.revenue_usd),
        "upstream_cost_usd": str(line.upstream_cost),
        "uncosted": line.uncosted,
        "margin_pct": _text(line.margin_pct),
        "not_settled": line.not_settled,
        "pending": line.pending,
        "reasons": dict(sorted(line.reasons.items())),
        "avg_input_tokens": _text(line.avg_input_tokens),
        "avg_output_tokens": _text(line.avg_output_tokens),
    }


def render_json(report: Report) -> str:
    document = {
        "by": report.by,
        "since": report.since.isoformat() if report.since else None,
        "groups": [{report.by: line.key, **line_fields(line)} for line in report.lines],
        "total": line_fields(report.total),
    }
    return json.dumps(document, indent=2) + "\n"


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((report.by, *CSV_COLUMNS))
    for line in [*report.lines, report.total]:
        fields = line_fields(line)
        fields["reasons"] = "; ".join(f"{k}={n}" for k, n in fields["reasons"].items())
        writer.writerow((line.key, *("" if fields[c] is None else fields[c] for c in CSV_COLUMNS)))
    return out.getvalue()


def render_table(report: Report) -> str:
    header = (report.by, "requests", "revenue", "upstream cost", "margin", "not settled",
              "avg in", "avg out")  # fmt: skip
    body = [_table_row(line) for line in [*report.lines, report.total]]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [_title(report), "", fmt(header), rule, *map(fmt, body[:-1]), rule, fmt(body[-1])]
    lines += _reasons(report)
    return "\n".join(lines) + "\n"


def _table_row(line: ReportLine) -> tuple[str, ...]:
    margin = line.margin_pct
    not_settled = str(line.not_settled) + (f" (+{line.pending} pending)" if line.pending else "")
    if line.uncosted == line.requests:
        cost = "-"  # nothing known: "$0.00" would read as free
    else:
        cost = _usd(line.upstream_cost) + ("*" if line.uncosted else "")
    return (
        line.key,
        str(line.requests),
        format_dollars(line.revenue),
        cost,
        "-" if margin is None else f"{margin}%",
        not_settled,
        _text(line.avg_input_tokens) or "-",
        _text(line.avg_output_tokens) or "-",
    )


def _title(report: Report) -> str:
    since = f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "all time"
    return f"farebox report by {report.by}, {since}: {report.total.requests} requests"


def _reasons(report: Report) -> list[str]:
    lines: list[str] = []
    if report.total.uncosted:
        lines += ["", f"* {report.total.uncosted} requests have no known upstream cost"]
    if report.total.reasons:
        lines += ["", "not settled:"]
        for reason, n in sorted(report.total.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:>6}  {reason}")
    return lines


def _usd(amount: Decimal) -> str:
    text = f"{amount.quantize(_MICRO):f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
