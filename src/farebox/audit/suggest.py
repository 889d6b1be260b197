"""`farebox models suggest`: a `models:` block priced at a target margin over catalog cost.

Margin is (price - cost) / price, the same measure the audit checks, so a
suggested price is cost / (1 - margin), rounded up.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from farebox.audit.check import RouteAuditor, Shape
from farebox.config.schema import Config, InheritedPrice
from farebox.llm.catalog import Catalog, CatalogPrice
from farebox.pricing.globs import OrderedGlobs, is_glob

RATE_STEP = Decimal("0.0001")  # dollars per 1M tokens
PRICE_STEP = Decimal("0.000001")  # one atomic unit


def up(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_CEILING)


def at_margin(cost: Decimal, margin: Decimal, step: Decimal) -> Decimal:
    return up(cost / (1 - margin), step)


def suggest(config: Config, catalog: Catalog, *, margin: Decimal, shape: Shape) -> str:
    if not 0 <= margin < 1:
        raise ValueError("the margin must be at least 0% and below 100%")
    blocks = [
        f"# farebox models suggest: target margin {margin * 100:.1f}% over genai-prices "
        f"{catalog.version} (prices as of {catalog.snapshot_date}), reference request "
        f"{shape.input_tokens}:{shape.output_tokens} tokens"
    ]
    for key, route in config.routes.items():
        if route.token_based:
            auditor = RouteAuditor(config, key, route, catalog, margin, shape, {})
            blocks.append(_route_block(auditor, margin, shape))
    return "\n\n".join(blocks) + "\n"


def _route_block(auditor: RouteAuditor, margin: Decimal, shape: Shape) -> str:
    route, offered = auditor.route, auditor.provider_models()
    lines = [
        f'# routes."{auditor.key}" (catalog provider: {auditor.provider or "unknown"})',
        "models:",
    ]
    globs = OrderedGlobs([k for k in route.models if is_glob(k)])
    for model_key, entry in route.models.items():
        if isinstance(entry, InheritedPrice):
            lines.append(
                f'  "{model_key}": {{base: {entry.base}, markup: {entry.markup * 100:.0f}%}}'
            )
            continue
        prices = _costs_for(auditor, model_key, globs, offered)
        if not prices:
            lines.append(f'  # "{model_key}": not in the catalog; price it by hand')
            continue
        rate_in = max(p.at_input_tokens(shape.input_tokens).input_per_mtok for p in prices)
        rate_out = max(p.at_input_tokens(shape.input_tokens).output_per_mtok for p in prices)
        lines.append(
            f'  "{model_key}": {{input: "${at_margin(rate_in, margin, RATE_STEP)}/1M", '
            f'output: "${at_margin(rate_out, margin, RATE_STEP)}/1M"}}'
        )
    costs = [
        found.cost(shape.usage())
        for model in offered
        if (found := auditor.lookup(model)) is not None
    ]
    if costs:
        fallback = at_margin(max(costs), margin, PRICE_STEP)
        lines.append(
            f'fallback: "${fallback}"  # covers the dearest catalog model of this upstream'
        )
    return "\n".join(lines)


def _costs_for(
    auditor: RouteAuditor, key: str, globs: OrderedGlobs, offered: list[str]
) -> list[CatalogPrice]:
    if not is_glob(key):
        found = auditor.lookup(key)
        return [found] if found is not None else []
    index = globs.patterns.index(key)
    matches = [
        m for m in offered if m not in auditor.route.models and globs.first_match(m) == index
    ]
    return [p for m in matches if (p := auditor.lookup(m)) is not None]
