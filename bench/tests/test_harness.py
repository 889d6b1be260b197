"""The harness's pure parts, and one short run of the whole thing."""

from __future__ import annotations

import re

import pytest

from bench.load.spec import LoadResult
from bench.micro import MICRO_BENCHMARKS, MicroBenchmark, MicroResult, run_micro
from bench.report import Outcome, render
from bench.run import main, parse_args
from bench.scenarios import SCENARIOS, select


def test_select_always_keeps_the_baseline_first() -> None:
    assert [s.key for s in select("dc")] == ["a", "c", "d"]
    assert [s.key for s in select("abcdefg")] == [s.key for s in SCENARIOS]


def test_select_names_the_choices_when_a_letter_is_unknown() -> None:
    with pytest.raises(ValueError, match="no scenario z; choose letters from abcdefg"):
        select("az")


def test_quick_shortens_runs_unless_a_duration_is_given() -> None:
    assert parse_args(["--quick", "--load", "aiohttp"]).duration == 2.0
    assert parse_args(["--quick", "--duration", "3", "--load", "aiohttp"]).duration == 3.0
    assert parse_args(["--load", "aiohttp"]).duration == 5.0


def test_every_micro_benchmark_runs() -> None:
    results = run_micro(MICRO_BENCHMARKS, 0.01)
    assert [r.name for r in results] == [b.name for b in MICRO_BENCHMARKS]
    assert all(r.per_second > 0 for r in results)


def test_a_failing_micro_benchmark_is_not_hidden() -> None:
    def prepare() -> object:
        return lambda: 1 / 0

    with pytest.raises(ZeroDivisionError):
        run_micro([MicroBenchmark("broken", "ops/s", prepare)], 0.01)  # type: ignore[arg-type]


def outcome(key: str, rate: float, errors: dict[str, int] | None = None) -> Outcome:
    scenario = next(s for s in SCENARIOS if s.key == key)
    result = LoadResult(ok=int(rate * 2), seconds=2.0, p50_ms=1.0, p99_ms=2.0)
    return Outcome(scenario, scenario.title.format(client="X"), result, errors or {})


def test_report_gives_ratios_to_the_baseline_and_lists_errors() -> None:
    text = render(
        [outcome("a", 1000), outcome("c", 500), outcome("d", 100, {"status 500": 3})],
        [MicroResult("decode", "headers/s", 1234.0)],
        "header line",
    )
    assert text.startswith("header line")
    assert re.search(r"\(a\) upstream, direct\s+1,000\s+1.00\s+2.00\s+1.00x\s+0", text)
    assert re.search(r"\(c\) .*\s+500 .*0.50x\s+0", text)
    assert re.search(r"\(d\) .*\s+100 .*0.10x\s+3", text)
    assert "paid throughput vs 402 issuance (c): (d) 0.20x" in text
    assert "(d) 3 x status 500" in text
    assert re.search(r"decode\s+1,234 headers/s", text)
    assert "only comparable as ratios within one run" in text


def test_a_short_run_measures_paid_requests_without_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--quick", "--duration", "0.5", "--scenarios", "acd", "--load", "aiohttp"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = {m[0]: m[1] for m in re.findall(r"^\((\w)\) .*?\s([\d,]+)\s", out, re.M)}
    assert set(rows) == {"a", "c", "d"}
    assert all(int(v.replace(",", "")) > 0 for v in rows.values())
    assert "errors:" not in out
