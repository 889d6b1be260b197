"""Audit output: an aligned table for people (colour only on a TTY), JSON for machines."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from farebox.audit.check import BELOW, LOSS, OK, UNKNOWN, AuditReport, RouteAudit

_COLOURS = {OK: "32", BELOW: "33", LOSS: "31", UNKNOWN: "90"}


def money(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = f"{value.normalize():f}" if value < Decimal("0.01") else f"{value:.4f}".rstrip("0")
    return f"${text.rstrip('.') if '.' in text else text}"


def percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def table(rows: Sequence[Sequence[str]], status_column: int | None, colour: bool) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        if colour and n > 0 and status_column is not None:
            code = _COLOURS.get(row[status_column], "0")
            cells[status_column] = f"\x1b[{code}m{cells[status_column]}\x1b[0m"
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def render_text(report: AuditReport, *, colour: bool = False) -> str:
    out = [
        f"catalog: genai-prices {report.catalog_version} (prices as of {report.catalog_date}); "
        f"target margin {percent(report.target_margin)}",
    ]
    if not report.routes:
        out.append("no token-based routes to audit")
    for route in report.routes:
        out += ["", *_route_text(route, colour)]
    verdict = (
        "FAIL: some prices are below cost or target"
        if report.failing
        else "ok: every price covers its cost"
    )
    out += ["", verdict]
    return "\n".join(out)


def _route_text(route: RouteAudit, colour: bool) -> list[str]:
    out = [f"route {route.route} (catalog provider: {route.provider or 'unknown'})"]
    if route.rows:
        rows = [["MODEL", "PRICED BY", "BASIS", "SHAPE", "COST", "PRICE", "MARGIN", "STATUS"]]
        for r in route.rows:
            shape = f"{r.shape.input_tokens}:{r.shape.output_tokens}"
            if r.shape.observed_requests:
                shape += f" (observed, n={r.shape.observed_requests})"
            priced_by = r.source if r.matched in (None, r.model) else f"{r.source} {r.matched}"
            rows.append(
                [
                    r.model,
                    priced_by,
                    r.basis,
                    shape,
                    money(r.cost),
                    money(r.price),
                    percent(r.margin),
                    r.status,
                ]
            )
        out += table(rows, 7, colour)
    fb = route.fallback
    if fb is not None:
        line = f"  fallback {money(fb.fallback)}: "
        if fb.dearest_model is None:
            line += "no catalog model to compare with"
        else:
            cost = money(fb.dearest_cost)
            line += f"dearest catalog model {fb.dearest_model} costs {cost} -> {fb.status}"
        out.append(line)
        if fb.undercharged:
            shown = ", ".join(fb.undercharged[:12]) + (" ..." if len(fb.undercharged) > 12 else "")
            out.append(f"    a caller pays less than cost with: {shown}")
    if route.unpriced:
        out.append("  catalog models with no entry (they would be charged the fallback):")
        rows = [["MODEL", "COST", "CHARGED", "STATUS"]]
        rows += [[u.model, money(u.cost), money(u.charged), u.status] for u in route.unpriced]
        out += ["  " + line for line in table(rows, 3, colour)]
    return out


def render_json(report: AuditReport) -> str:
    body = {
        "catalog": {"version": report.catalog_version, "date": report.catalog_date},
        "targetMargin": str(report.target_margin),
        "failing": report.failing,
        "routes": [dataclasses.asdict(route) for route in report.routes],
    }
    return json.dumps(body, indent=2, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")
