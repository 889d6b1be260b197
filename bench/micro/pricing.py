"""Price resolution on a token-based route with 2,000 models: it runs on every LLM request.

The route, built by parse_config and the gateway's own RouteCompiler, has 1,000
exact flat prices, 500 exact per-token prices, 500 globs like "vendor-123-*",
a catalog `markup` and a `fallback`. The price table caches each model ID's
resolution (a bounded LRU), so the "cached" rows are the steady state for IDs
callers reuse; the "never seen" rows send a new ID on every call, so each does
the whole lookup (exact map, globs, catalog): what a caller inventing model IDs
costs. Each row first checks that its IDs resolve the way its name says.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench.micro.harness import MicroBenchmark, Operation
from farebox.compile import FacilitatorRegistry, RouteCompiler
from farebox.config.loader import parse_config
from farebox.llm.catalog import Catalog
from farebox.pricing.models import ModelPriceTable
from farebox.pricing.quote import RequestFacts
from farebox.pricing.token_based import TokenPricer

ROUTE_KEY = "POST /v1/chat/completions"
CHAT_PATH = "/v1/chat/completions"
# The catalog infers the provider (openai) from this URL; nothing is ever sent to it.
UPSTREAM_URL = "https://api.openai.com/v1"
EXACT_FLAT, EXACT_PER_TOKEN, GLOBS = 1_000, 500, 500
PER_TOKEN = {"input": "$2.00/1M", "output": "$8.00/1M"}
CATALOG_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3")
SAMPLE = 64  # distinct IDs a cached row cycles through (all fit in the table's cache)

GROUP = "price resolution, token-based route with 2,000 models (ratio: vs exact hit)"
EXACT_HIT = "resolve: exact hit (cached)"


def flat_model(i: int) -> str:
    return f"flat-model-{i:04d}"


def token_model(i: int) -> str:
    return f"token-model-{i:03d}"


def glob_pattern(i: int) -> str:
    return f"vendor-{i:03d}-*"


def models_map() -> dict[str, Any]:
    """The route's `models`, in the order written (globs last, so they are tried last)."""
    models: dict[str, Any] = {}
    for i in range(EXACT_FLAT):
        models[flat_model(i)] = f"$0.0{1 + i % 9}"
    for i in range(EXACT_PER_TOKEN):
        models[token_model(i)] = PER_TOKEN
    for i in range(GLOBS):
        models[glob_pattern(i)] = "$0.02" if i % 2 else PER_TOKEN
    return models


def config_text() -> str:
    """The benchmark config as JSON, which the YAML loader reads as it is."""
    route = {
        "upstream": "openai",
        "type": "token-based",
        "models": models_map(),
        "markup": "20%",
        "fallback": "$0.05",
    }
    config = {
        "wallets": {"base-sepolia": "0x" + "12" * 20},
        "upstreams": {"openai": {"url": UPSTREAM_URL}},
        "routes": {ROUTE_KEY: route},
    }
    return json.dumps(config)


@dataclass(frozen=True)
class PricingBench:
    pricer: TokenPricer
    catalog: Catalog  # the catalog the route prices from (its cache counts lookups)

    @property
    def table(self) -> ModelPriceTable:
        return self.pricer.table


@functools.cache
def pricing_bench() -> PricingBench:
    """The route's pricer, compiled once and shared by every pricing row."""
    loaded = parse_config(config_text(), source="bench/micro/pricing.py")
    compiler = RouteCompiler(loaded.config, loaded.base_dir, FacilitatorRegistry(None, 15.0))
    pricer = compiler.pricer(ROUTE_KEY, loaded.config.routes[ROUTE_KEY])
    if not isinstance(pricer, TokenPricer) or compiler.catalog is None:
        raise TypeError(f"{ROUTE_KEY} compiled to {type(pricer).__name__}, not a TokenPricer")
    return PricingBench(pricer, compiler.catalog)


def expect_source(table: ModelPriceTable, model: str, source: str) -> None:
    found = table.resolve(model).source
    if found != source:
        raise ValueError(
            f"benchmark model {model!r} resolves from {found!r}, not {source!r}: "
            "the benchmark route no longer measures what its row says"
        )


def resolving(ids: Iterator[str], source: str, checked: Sequence[str]) -> Operation:
    """Resolve the next ID of `ids` per call, after checking `checked` resolve from `source`."""
    table = pricing_bench().table
    for model in checked:
        expect_source(table, model, source)
    return lambda: table.resolve(next(ids))


def cached(sample: Sequence[str], source: str) -> Operation:
    return resolving(itertools.cycle(sample), source, sample)


def never_seen(ids: Iterator[str], source: str) -> Operation:
    return resolving(ids, source, [next(ids) for _ in range(3)])


# --- the IDs each row resolves -------------------------------------------------------


def exact_sample() -> list[str]:
    """Flat and per-token keys, spread over the whole map."""
    half = SAMPLE // 2
    flat = [flat_model(i * EXACT_FLAT // half) for i in range(half)]
    return flat + [token_model(i * EXACT_PER_TOKEN // half) for i in range(half)]


def late_glob_id(i: int, suffix: str) -> str:
    """An ID matching one of the last SAMPLE globs in the map."""
    return f"vendor-{GLOBS - 1 - i % SAMPLE:03d}-{suffix}"


# One counter for the whole process: a second run of a row must not meet IDs the
# shared table has already cached.
_SERIALS = itertools.count()


def fresh_glob_ids() -> Iterator[str]:
    return (late_glob_id(n, f"ft-{n}") for n in _SERIALS)


def fresh_unknown_ids() -> Iterator[str]:
    return (f"never-seen-model-{n}" for n in _SERIALS)


# --- the operations ------------------------------------------------------------------


def prepare_exact() -> Operation:
    return cached(exact_sample(), "models")


def prepare_late_glob() -> Operation:
    return cached([late_glob_id(i, "custom") for i in range(SAMPLE)], "glob")


def prepare_catalog() -> Operation:
    return cached(CATALOG_MODELS, "catalog")


def prepare_fallback() -> Operation:
    return cached([f"unlisted-model-{i}" for i in range(SAMPLE)], "fallback")


def prepare_never_seen_glob() -> Operation:
    return never_seen(fresh_glob_ids(), "glob")


def prepare_never_seen_fallback() -> Operation:
    return never_seen(fresh_unknown_ids(), "fallback")


def chat_facts(model: str) -> RequestFacts:
    """A chat request as the gateway hands it to pricing: body parsed, raw bytes kept."""
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Summarise this: " + "lorem ipsum dolor sit " * 40},
        ],
        "temperature": 0.2,
    }
    raw = json.dumps(body).encode()
    return RequestFacts("POST", CHAT_PATH, {}, {}, {"content-type": "application/json"}, body, raw)


def prepare_quote() -> Operation:
    """A full quote: model, resolution, input bound, output cap written into the body."""
    pricer = pricing_bench().pricer
    facts = chat_facts(token_model(123))
    if pricer.quote(facts).metering is None:
        raise ValueError(f"{token_model(123)} should be metered per token on {ROUTE_KEY}")
    return lambda: pricer.quote(facts)


def _row(
    name: str, prepare: Callable[[], Operation], unit: str = "resolutions/s"
) -> MicroBenchmark:
    return MicroBenchmark(name, unit, prepare, group=GROUP, relative_to=EXACT_HIT)


PRICE_RESOLUTION: list[MicroBenchmark] = [
    _row(EXACT_HIT, prepare_exact),
    _row("resolve: late glob hit (cached)", prepare_late_glob),
    _row("resolve: catalog hit, markup (cached)", prepare_catalog),
    _row("resolve: fallback, unknown model (cached)", prepare_fallback),
    _row("resolve: never-seen ID, late glob", prepare_never_seen_glob),
    _row("resolve: never-seen ID, fallback (misses all)", prepare_never_seen_fallback),
    _row("quote: metered chat request (bound + rewrite)", prepare_quote, "quotes/s"),
]
