"""The printed report: ratios to the baseline, facilitator calls, errors, micro-benchmarks."""

from __future__ import annotations

import re

from bench.load.spec import LoadResult
from bench.micro import MicroResult
from bench.report import Outcome, render, times
from bench.scenarios import SCENARIOS


def outcome(
    key: str, rate: float, errors: dict[str, int] | None = None, calls: dict[str, int] | None = None
) -> Outcome:
    scenario = next(s for s in SCENARIOS if s.key == key)
    result = LoadResult(ok=int(rate * 2), seconds=2.0, p50_ms=1.0, p99_ms=2.0, ok_total=200)
    return Outcome(scenario, scenario.title.format(client="X"), result, errors or {}, calls or {})


def test_report_gives_ratios_to_the_baseline_and_lists_errors() -> None:
    text = render(
        [
            outcome("a", 1000),
            outcome("c", 500),
            outcome("d", 100, {"status 500": 3}, {"settle": 200}),
            outcome("e", 50, calls={"verify": 200, "settle": 200}),
        ],
        [],
        "header line",
    )
    assert text.startswith("header line")
    assert re.search(r"\(a\) upstream, direct\s+1,000\s+1.00\s+2.00\s+1.00x\s+0", text)
    assert re.search(r"\(c\) .*\s+500 .*0.50x\s+0", text)
    assert re.search(r"\(d\) .*\(X\)\s+100 .*0.10x\s+3", text)
    assert re.search(r"\(e\) .*\(X\)\s+50 .*0.05x\s+0", text)
    assert "paid throughput vs 402 issuance (c): (d) 0.20x  (e) 0.10x" in text
    assert "(verify + settle): (d) 0.00 + 1.00  (e) 1.00 + 1.00" in text
    assert "(d) 3 x status 500" in text
    assert "only comparable as ratios within one run" in text


def test_small_ratios_keep_two_significant_digits() -> None:
    assert [times(v) for v in (1.0, 0.5, 0.1, 0.031, 0.00224)] == [
        "1.00x",
        "0.50x",
        "0.10x",
        "0.031x",
        "0.0022x",
    ]


def test_micro_rows_are_grouped_with_ratios_to_the_row_they_name() -> None:
    group, exact = "price resolution", "exact hit"
    text = render(
        [outcome("a", 1000)],
        [
            MicroResult("decode", "headers/s", 1234.0),
            MicroResult(exact, "resolutions/s", 1_000_000.0, group, exact),
            MicroResult("never seen", "resolutions/s", 20_000.0, group, exact),
        ],
        "header",
    )
    lines = text.splitlines()
    heading = lines.index("  price resolution:")
    assert re.fullmatch(r"  decode\s+1,234 headers/s", lines[heading - 1])
    assert re.fullmatch(r"    exact hit\s+1,000,000 resolutions/s\s+1.00x", lines[heading + 1])
    assert re.fullmatch(r"    never seen\s+20,000 resolutions/s\s+0.02x", lines[heading + 2])
