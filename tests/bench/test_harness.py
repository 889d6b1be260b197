"""The command line, the scenario list, and short runs of the whole harness."""

from __future__ import annotations

import re
import shutil

import pytest

from bench.run import main, parse_args
from bench.scenarios import SCENARIOS, select
from bench.services.gateway import PAID_AFTER_PATH, PAID_PATH


def test_select_always_keeps_the_baseline_first() -> None:
    assert [s.key for s in select("dc")] == ["a", "c", "d"]
    assert [s.key for s in select("abcdefgh")] == [s.key for s in SCENARIOS]


def test_select_names_the_choices_when_a_letter_is_unknown() -> None:
    with pytest.raises(ValueError, match="no scenario y, z; choose letters from abcdefgh"):
        select("ayz")


def test_paid_scenarios_say_what_each_200_costs_at_the_facilitator() -> None:
    paid = {s.key: (s.server, s.path, s.verifies, s.settles) for s in SCENARIOS if s.paid}
    assert paid == {
        "d": ("gateway", PAID_PATH, 0, 1),  # before-response: settle only
        "e": ("gateway", PAID_AFTER_PATH, 1, 1),  # after-response: verify, then settle
        "f": ("gateway-sdk", PAID_PATH, 0, 1),  # (d) with the SDK's client
        "g": ("gateway-ledger", PAID_PATH, 0, 1),  # (d) with the ledger and metrics on
        "h": ("gateway-ledger", PAID_AFTER_PATH, 1, 1),  # (e) with them on
    }


def test_quick_shortens_runs_unless_a_duration_is_given() -> None:
    assert parse_args(["--quick", "--load", "aiohttp"]).duration == 2.0
    assert parse_args(["--quick", "--duration", "3", "--load", "aiohttp"]).duration == 3.0
    assert parse_args(["--load", "aiohttp"]).duration == 5.0
    assert parse_args(["--load", "aiohttp"]).warmup == 2.0
    assert parse_args(["--warmup", "0.3", "--load", "aiohttp"]).warmup == 0.3


@pytest.mark.parametrize("flag", ["--duration", "--warmup"])
def test_a_non_positive_time_is_refused(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args([flag, "-1", "--load", "aiohttp"])
    assert f"{flag} must be a positive number of seconds" in capsys.readouterr().err


def rows(out: str) -> dict[str, int]:
    found = re.findall(r"^\((\w)\) .*?\s([\d,]+)\s", out, re.M)
    return {key: int(rate.replace(",", "")) for key, rate in found}


def short_run(load: str, scenarios: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["--quick", "--duration", "0.5", "--warmup", "0.2", "--scenarios", scenarios]
    code = main([*argv, "--load", load])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "errors:" not in out
    return out


def test_a_short_run_measures_every_scenario_and_checks_facilitator_calls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = short_run("aiohttp", "abcdef", capsys)
    measured = rows(out)
    assert set(measured) == set("abcdef")
    assert all(rate > 0 for rate in measured.values())
    assert "(d) paid, before-response: settle (HttpFacilitator)" in out
    assert "(f) paid, before-response: settle (SDK HTTPFacilitatorClient)" in out
    calls = "facilitator calls per paid 200 (verify + settle): "
    assert f"{calls}(d) 0.00 + 1.00  (e) 1.00 + 1.00  (f) 0.00 + 1.00" in out
    assert "resolve: never-seen ID, fallback (misses all)" in out


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_a_short_run_under_wrk_accounts_for_every_facilitator_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = short_run("wrk", "e", capsys)  # after-response: both calls, abandoned ones included
    assert set(rows(out)) == set("ae")
    assert re.search(r"\(verify \+ settle\): \(e\) 1\.\d\d \+ 1\.\d\d$", out, re.M)
