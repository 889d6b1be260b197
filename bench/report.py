"""The printed report: one table of HTTP scenarios, the micro-benchmarks, and how to read them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.facilitator_calls import STEPS
from bench.load.spec import LoadResult
from bench.micro import MicroResult
from bench.scenarios import BASELINE, ISSUANCE, Scenario


@dataclass
class Outcome:
    """One scenario's measurement plus every error seen by the load or by the harness."""

    scenario: Scenario
    title: str
    result: LoadResult | None = None
    errors: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # facilitator calls: "verify", "settle"

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def times(value: float) -> str:
    """A ratio with two decimals, or two significant digits when it is small (0.0023x)."""
    return f"{value:.2f}x" if value >= 0.095 else f"{value:.2g}x"


def ratio(outcome: Outcome, base: Outcome | None) -> str:
    if outcome.result is None or base is None or base.result is None or not base.result.rate:
        return "-"
    return times(outcome.result.rate / base.result.rate)


def scenario_table(outcomes: list[Outcome]) -> list[str]:
    base = next((o for o in outcomes if o.scenario.key == BASELINE), None)
    width = max(len(o.title) for o in outcomes) + 4
    lines = [
        f"{'scenario':<{width}}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs (a)':>9}{'errors':>8}"
    ]
    for o in outcomes:
        label = f"({o.scenario.key}) {o.title}"
        if o.result is None:
            cells = f"{'-':>9}{'-':>9}{'-':>9}{'-':>9}"
        else:
            r = o.result
            cells = f"{r.rate:>9,.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{ratio(o, base):>9}"
        lines.append(f"{label:<{width}}{cells}{o.error_count:>8}")
    return lines


def paid_vs_issuance(outcomes: list[Outcome]) -> str | None:
    """How much of the 402 path's throughput each paid scenario keeps."""
    issuance = next((o for o in outcomes if o.scenario.key == ISSUANCE), None)
    paid = [f"({o.scenario.key}) {ratio(o, issuance)}" for o in outcomes if o.scenario.paid]
    if issuance is None or not paid:
        return None
    return "paid throughput vs 402 issuance (c): " + "  ".join(paid)


def facilitator_calls(outcomes: list[Outcome]) -> str | None:
    """Verify and settle calls per paid 200, as the facilitator stub counted them."""
    cells = []
    for o in outcomes:
        if o.scenario.paid and o.result is not None and o.result.ok_total:
            verify, settle = (o.calls.get(step, 0) / o.result.ok_total for step in STEPS)
            cells.append(f"({o.scenario.key}) {verify:.2f} + {settle:.2f}")
    if not cells:
        return None
    return "facilitator calls per paid 200 (verify + settle): " + "  ".join(cells)


def error_details(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        for what, count in sorted(o.errors.items()):
            lines.append(f"  ({o.scenario.key}) {count} x {what}")
    return ["errors:", *lines] if lines else []


def micro_table(results: list[MicroResult]) -> list[str]:
    if not results:
        return []
    width = max(len(r.name) for r in results) + 4
    unit_width = max(len(r.unit) for r in results) + 2
    rates = {r.name: r.per_second for r in results}
    lines, group = ["in-process micro-benchmarks (1 core, no sockets):"], ""
    for r in results:
        if r.group and r.group != group:
            lines.append(f"  {r.group}:")
        group = r.group
        indent = "    " if group else "  "
        base = rates.get(r.relative_to or "")
        cell = f"{times(r.per_second / base):>8}" if base else ""
        row = f"{indent}{r.name:<{width}}{r.per_second:>14,.0f} {r.unit:<{unit_width}}{cell}"
        lines.append(row.rstrip())
    return lines


def render(outcomes: list[Outcome], micro: list[MicroResult], header: str) -> str:
    lines = [header, "", *scenario_table(outcomes)]
    notes = [paid_vs_issuance(outcomes), facilitator_calls(outcomes)]
    if any(notes):
        lines += ["", *(note for note in notes if note)]
    if details := error_details(outcomes):
        lines += ["", *details]
    if micro:
        lines += ["", *micro_table(micro)]
    lines += [
        "",
        f"machine: {os.cpu_count()} cores, shared by the load generator and every server; "
        "figures are only comparable as ratios within one run.",
    ]
    return "\n".join(lines)
