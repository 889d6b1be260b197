"""The micro-benchmarks run, and each measures what its name says."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import islice

import pytest

from bench.micro import MICRO_BENCHMARKS, MicroBenchmark, Operation, pricing, run_micro
from bench.micro.pricing import EXACT_HIT, PRICE_RESOLUTION, pricing_bench
from farebox.pricing.models import ModelPrice
from farebox.pricing.quote import Quote


def test_every_micro_benchmark_runs() -> None:
    results = run_micro(MICRO_BENCHMARKS, 0.01)
    assert [r.name for r in results] == [b.name for b in MICRO_BENCHMARKS]
    assert all(r.per_second > 0 for r in results)


def test_a_failing_micro_benchmark_is_not_hidden() -> None:
    def prepare() -> object:
        return lambda: 1 / 0

    with pytest.raises(ZeroDivisionError):
        run_micro([MicroBenchmark("broken", "ops/s", prepare)], 0.01)  # type: ignore[arg-type]


def test_the_route_has_2000_models_of_the_stated_mix() -> None:
    models = pricing.models_map()
    assert len(models) == 2000
    globs = [k for k in models if "*" in k]
    per_token = [k for k, v in models.items() if isinstance(v, dict) and "*" not in k]
    assert (len(globs), len(per_token)) == (500, 500)
    assert list(models)[-500:] == globs  # globs are written last, so tried last
    route = json.loads(pricing.config_text())["routes"][pricing.ROUTE_KEY]
    assert (route["markup"], route["fallback"]) == ("20%", "$0.05")


def test_every_pricing_row_is_a_ratio_to_the_exact_hit() -> None:
    assert PRICE_RESOLUTION[0].name == EXACT_HIT
    assert {b.relative_to for b in PRICE_RESOLUTION} == {EXACT_HIT}


@pytest.mark.parametrize(
    ("prepare", "source"),
    [
        (pricing.prepare_exact, "models"),
        (pricing.prepare_late_glob, "glob"),
        (pricing.prepare_catalog, "catalog"),
        (pricing.prepare_fallback, "fallback"),
        (pricing.prepare_never_seen_glob, "glob"),
        (pricing.prepare_never_seen_fallback, "fallback"),
    ],
)
def test_each_resolution_row_resolves_from_its_source(
    prepare: Callable[[], Operation], source: str
) -> None:
    operation = prepare()
    prices = [operation() for _ in range(100)]
    assert all(isinstance(p, ModelPrice) for p in prices)
    assert {p.source for p in prices if isinstance(p, ModelPrice)} == {source}


def test_late_glob_ids_match_the_last_globs_in_the_map() -> None:
    table = pricing_bench().table
    matched = {table.resolve(pricing.late_glob_id(i, "x")).matched for i in range(64)}
    assert matched == {pricing.glob_pattern(i) for i in range(436, 500)}


def test_a_row_whose_ids_resolve_elsewhere_refuses_to_run() -> None:
    with pytest.raises(ValueError, match="'flat-model-0000' resolves from 'models', not 'glob'"):
        pricing.cached(["flat-model-0000"], "glob")


def test_never_seen_ids_are_unique_across_rows_and_runs_so_no_cache_can_answer() -> None:
    makers = (pricing.fresh_glob_ids, pricing.fresh_unknown_ids, pricing.fresh_unknown_ids)
    every = [model for make in makers for model in islice(make(), 5_000)]
    assert len(set(every)) == len(every)


def test_the_never_seen_fallback_row_asks_the_catalog_every_time() -> None:
    operation = pricing.prepare_never_seen_fallback()
    before = pricing_bench().catalog.cache_info().misses
    for _ in range(50):
        operation()
    assert pricing_bench().catalog.cache_info().misses - before == 50


def test_the_quote_row_bounds_the_input_and_writes_the_output_cap() -> None:
    quote = pricing.prepare_quote()()
    assert isinstance(quote, Quote) and quote.metering is not None
    sent = json.loads(quote.metering.body)
    assert sent["model"] == "token-model-123"
    assert quote.metering.output_cap > 0
    assert quote.metering.output_cap in sent.values()  # the cap was written into the body
    assert quote.metering.input_bound > 0 and quote.amount > 0
