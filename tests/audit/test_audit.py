"""farebox models audit / suggest on configs whose outcome is known from the catalog.

Reference costs (genai-prices, 1000 input + 500 output tokens): gpt-4o at
$2.50/$10.00 per 1M costs $0.0075; gpt-4o-mini at $0.15/$0.60 costs $0.00045.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from farebox.audit.check import BELOW, LOSS, OK, UNKNOWN, Shape, audit_config
from farebox.audit.suggest import suggest
from farebox.config.loader import parse_config
from farebox.llm.catalog import Catalog

HEAD = """\
wallets: {base-sepolia: "0x1111111111111111111111111111111111111111"}
facilitator: local
upstreams: {openai: {url: "https://api.openai.com"}}
routes:
  "POST /v1/chat/completions":
    upstream: openai
    type: token-based
"""
SHAPE = Shape(1000, 500)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def audit(catalog: Catalog, route_yaml: str, margin: str = "0.20"):  # type: ignore[no-untyped-def]
    config = parse_config(HEAD + route_yaml).config
    report = audit_config(config, catalog, target_margin=Decimal(margin), shape=SHAPE)
    [route] = report.routes
    return report, route


def row(route, model: str):  # type: ignore[no-untyped-def]
    return next(r for r in route.rows if r.model == model)


def test_healthy_allowlist_route_passes(catalog: Catalog) -> None:
    report, route = audit(
        catalog,
        '    models: {gpt-4o: "$0.05", gpt-4o-mini: {input: "$0.30/1M", output: "$1.20/1M"}}\n'
        "    unknownModels: reject\n",
    )
    assert not report.failing
    assert row(route, "gpt-4o").status == OK
    assert row(route, "gpt-4o").cost == Decimal("0.0075")
    assert row(route, "gpt-4o").margin == Decimal("0.85")
    assert row(route, "gpt-4o-mini").basis == "per-token"
    assert row(route, "gpt-4o-mini").margin == Decimal("0.5")  # both rates double the cost
    assert route.fallback is None and route.unpriced == []


def test_under_cost_below_target_and_unknown_each_get_their_status(catalog: Catalog) -> None:
    report, route = audit(
        catalog,
        "    models:\n"
        '      gpt-4o: "$0.005"\n'  # cost $0.0075: a loss
        '      gpt-4o-mini: "$0.0005"\n'  # margin 10% < 20%
        '      acme-private-model: "$0.01"\n'  # not in the catalog
        "    unknownModels: reject\n",
    )
    assert report.failing
    assert row(route, "gpt-4o").status == LOSS
    assert row(route, "gpt-4o-mini").status == BELOW
    assert row(route, "gpt-4o-mini").margin == Decimal("0.1")
    unknown = row(route, "acme-private-model")
    assert unknown.status == UNKNOWN and unknown.cost is None and unknown.margin is None


def test_per_token_rows_compare_rates(catalog: Catalog) -> None:
    _, route = audit(
        catalog,
        '    models: {gpt-4o: {input: "$5.00/1M", output: "$9.00/1M"}}\n'
        "    unknownModels: reject\n",
    )
    r = row(route, "gpt-4o")
    assert r.status == LOSS  # output rate $9 < cost $10, even though the total covers cost
    assert r.price > r.cost  # type: ignore[operator]
    assert r.rates["cost output"] == "$10.00/1M"


def test_too_low_fallback_names_the_models_that_undercharge(catalog: Catalog) -> None:
    report, route = audit(catalog, '    models: {gpt-4o: "$0.05"}\n    fallback: "$0.02"\n')
    assert report.failing
    fb = route.fallback
    assert fb is not None and fb.status == LOSS
    assert fb.dearest_cost is not None and fb.dearest_cost > Decimal("0.02")
    assert "gpt-4" in fb.undercharged  # $0.06 for the reference request
    assert "gpt-4o-mini" not in fb.undercharged


def test_new_catalog_models_falling_to_the_fallback_are_listed(catalog: Catalog) -> None:
    _, route = audit(catalog, '    models: {gpt-4o: "$0.05"}\n    fallback: "$5.00"\n')
    listed = {u.model: u for u in route.unpriced}
    assert "gpt-4o-mini" in listed and "gpt-4o" not in listed
    mini = listed["gpt-4o-mini"]
    assert mini.cost == Decimal("0.00045") and mini.charged == Decimal("5") and mini.status == OK
    assert route.fallback is not None and route.fallback.status == OK


def test_glob_rows_cover_each_matching_catalog_model(catalog: Catalog) -> None:
    _, route = audit(catalog, '    models: {"gpt-4o-mini*": "$0.001"}\n    unknownModels: reject\n')
    models = {r.model for r in route.rows}
    assert "gpt-4o-mini" in models
    assert all(r.matched == "gpt-4o-mini*" for r in route.rows)


def test_catalog_priced_route_margin_is_the_markup(catalog: Catalog) -> None:
    _, route = audit(catalog, '    markup: 25%\n    allowModels: ["gpt-4o"]\n')
    r = row(route, "gpt-4o")
    assert r.source == "catalog" and r.margin == Decimal("0.2")  # 25% markup = 20% margin
    assert r.status == OK


def test_observed_shapes_replace_the_reference(catalog: Catalog) -> None:
    config = parse_config(
        HEAD + '    models: {gpt-4o: "$0.05"}\n    unknownModels: reject\n'
    ).config
    observed = {"gpt-4o": Shape(10_000, 3_000, observed_requests=7)}
    report = audit_config(
        config, catalog, target_margin=Decimal("0.2"), shape=SHAPE, observed=observed
    )
    r = report.routes[0].rows[0]
    assert r.shape.observed_requests == 7
    assert r.cost == Decimal("0.055")  # 10k x $2.50/1M + 3k x $10/1M
    assert r.status == LOSS


def test_suggest_parses_as_yaml_and_passes_audit_at_its_margin(catalog: Catalog) -> None:
    route = '    models: {gpt-4o: "$0.001", "gpt-4.1*": "$0.001"}\n    fallback: "$0.01"\n'
    config = parse_config(HEAD + route).config
    text = suggest(config, catalog, margin=Decimal("0.30"), shape=SHAPE)
    block = yaml.safe_load(text)
    assert set(block) == {"models", "fallback"}
    fixed = yaml.safe_load(HEAD + route)
    fixed["routes"]["POST /v1/chat/completions"].update(block)
    report = audit_config(
        parse_config(yaml.safe_dump(fixed)).config,
        catalog,
        target_margin=Decimal("0.30"),
        shape=SHAPE,
    )
    assert not report.failing, [
        (r.model, r.status) for r in report.routes[0].rows if r.status != OK
    ]


def _cli(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "farebox.cli", "models", *args, "--config", str(config)],
        capture_output=True,
        text=True,
    )


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    healthy = tmp_path / "ok.yaml"
    healthy.write_text(HEAD + '    models: {gpt-4o: "$0.05"}\n    unknownModels: reject\n')
    losing = tmp_path / "loss.yaml"
    losing.write_text(HEAD + '    models: {gpt-4o: "$0.001"}\n    unknownModels: reject\n')
    ok = _cli("audit", config=healthy)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "genai-prices" in ok.stdout and "\x1b[" not in ok.stdout  # no colour off a TTY
    bad = _cli("audit", "--json", config=losing)
    assert bad.returncode == 1
    body = json.loads(bad.stdout)
    assert body["failing"] is True
    assert body["routes"][0]["rows"][0]["status"] == "loss"
    assert body["catalog"]["version"]
    wrong = _cli("audit", "--margin", "lots", config=healthy)
    assert wrong.returncode == 2 and "--margin" in wrong.stderr
