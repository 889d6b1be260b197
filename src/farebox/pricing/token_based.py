"""Pricing a `type: token-based` route: find the model, price it, and for
per-token prices, bound the request so the caller authorizes a ceiling.

The ceiling is input_bound x input rate + output_cap x output rate, where
input_bound is provable (farebox.llm.bounds) and output_cap is written into
the request itself, so the upstream can never produce more than was paid for.
"""

from __future__ import annotations

import json
from typing import Any

from farebox.config.schema import Defaults, Route
from farebox.llm.bounds import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    BoundsError,
    chat_cap_field_for,
    enforce_max_output,
    ensure_stream_usage,
    input_token_bound,
)
from farebox.llm.catalog import Catalog
from farebox.llm.model import ModelError, model_for_request
from farebox.llm.shapes import ApiShape, detect_shape, is_stream_request
from farebox.pricing.metering import Metering
from farebox.pricing.models import ModelPrice, ModelPriceTable
from farebox.pricing.quote import PricingError, Quote, RequestFacts

DEFAULT_SCHEMES: tuple[str, ...] = ("upto", "exact")


class TokenPricer:
    """The RoutePricer of a token-based route."""

    needs_body = True  # the model, the input bound and the output cap all live in the body

    def __init__(
        self,
        route: Route,
        defaults: Defaults,
        *,
        key: str,
        catalog: Catalog | None,
        upstream_url: str,
    ) -> None:
        flat_fallback = next(
            (p for p in (route.fallback, route.static_price, defaults.price) if p is not None), None
        )
        self.table = ModelPriceTable(
            route, flat_fallback=flat_fallback, catalog=catalog, upstream_url=upstream_url
        )
        self._key = key
        self._route = route
        self._template_shape = detect_shape(route.path) if route.path else None
        self._output_cap = route.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS
        self._chat_field = chat_cap_field_for(upstream_url)
        self._schemes = tuple(route.schemes) if route.schemes else DEFAULT_SCHEMES

    def quote(self, facts: RequestFacts) -> Quote:
        shape = self._template_shape or detect_shape(facts.path)
        model = self._model_of(facts, shape)
        price = self.table.resolve(model)
        if not price.metered:
            assert price.flat is not None
            return Quote(amount=price.flat, source=price.source, model=model)
        metering = self._metering(facts, shape, price)
        return Quote(
            amount=metering.ceiling,
            source=price.source,
            model=model,
            schemes=self._schemes,
            metering=metering,
        )

    def _model_of(self, facts: RequestFacts, shape: ApiShape | None) -> str:
        source, _, name = self._route.model_from.partition(".")
        if source == "params":
            named = facts.params.get(name, "")
        elif source == "headers":
            named = facts.headers.get(name.lower(), "")
        else:
            try:
                return model_for_request(shape or ApiShape.OPENAI_CHAT, facts.path, facts.body)
            except ModelError as exc:
                raise PricingError(str(exc)) from None
        if not named:
            raise PricingError(
                f"this route takes the model from {self._route.model_from}, which is empty"
            )
        return self._route.deployments.get(named, named)

    def _metering(self, facts: RequestFacts, shape: ApiShape | None, price: ModelPrice) -> Metering:
        if shape is None:
            raise PricingError(
                f"{facts.path} is not an LLM API this gateway can meter per token "
                "(chat/completions, completions, responses, messages or generateContent)"
            )
        body = facts.body
        if not isinstance(body, dict):
            raise PricingError("per-token pricing needs a JSON object request body")
        try:
            input_bound = input_token_bound(shape, body, facts.raw_body)
        except BoundsError as exc:
            raise PricingError(str(exc)) from None
        if price.catalog is not None and price.catalog.context_window:
            input_bound = min(input_bound, price.catalog.context_window)
        capped, output_cap = enforce_max_output(
            shape, body, self._output_cap, chat_field=self._chat_field
        )
        stream = is_stream_request(shape, facts.path, capped)
        strip = False
        if stream:
            capped, client_asked = ensure_stream_usage(shape, capped)
            strip = not client_asked
        return Metering(
            shape=shape,
            rates=price.rates_for(input_bound),
            input_bound=input_bound,
            output_cap=output_cap,
            stream=stream,
            strip_usage_chunk=strip,
            body=_json(capped),
            catalog=price.catalog,
            cost=price.catalog or self.table.upstream_price(price.model),
            markup=price.markup,
        )


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
