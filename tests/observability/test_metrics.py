"""Metrics after a scripted sequence of pipeline calls, read back from the exposition text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from farebox.observability.metrics import GatewayMetrics

CHAT = "POST /v1/chat/completions"


def samples(metrics: GatewayMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(metrics: GatewayMetrics, name: str, **labels: str) -> float:
    return samples(metrics).get((name, frozenset(labels.items())), 0.0)


def script(m: GatewayMetrics) -> None:
    """Three paid chat requests and one free one, as the pipeline would report them."""
    for _ in range(4):
        m.request_started()
    m.price_resolution("models")
    m.payment("missing")
    m.request_finished(CHAT, "POST", 402, 0.002)

    m.price_resolution("models")
    m.payment("verified")
    m.upstream("openai", 200, 0.8)
    m.settlement_latency(0.3, success=True)
    m.payment("settled")
    m.revenue(CHAT, "gpt-4o", 12_345)
    m.cost(CHAT, "gpt-4o", Decimal("0.004"))
    m.tokens("gpt-4o", 1000, 200, cached_input=300)
    m.request_finished(CHAT, "POST", 200, 0.9)

    m.price_resolution("fallback")
    m.payment("verified")
    m.upstream("openai", 503, 0.1)
    m.payment("refunded")
    m.request_finished(CHAT, "POST", 503, 0.2)
    # the fourth is still streaming


def test_a_scripted_sequence_shows_in_the_exposition() -> None:
    m = GatewayMetrics(process=False)
    script(m)

    assert value(m, "farebox_active_requests") == 1
    assert value(m, "farebox_requests_total", route=CHAT, method="POST", status="402") == 1
    assert value(m, "farebox_requests_total", route=CHAT, method="POST", status="200") == 1
    assert value(m, "farebox_requests_total", route=CHAT, method="POST", status="503") == 1
    assert value(m, "farebox_request_duration_seconds_count", route=CHAT) == 3
    assert value(m, "farebox_payments_total", outcome="verified") == 2
    for outcome in ("missing", "settled", "refunded"):
        assert value(m, "farebox_payments_total", outcome=outcome) == 1
    assert value(m, "farebox_settlement_duration_seconds_count", success="true") == 1
    assert value(m, "farebox_settlement_duration_seconds_sum", success="true") == 0.3
    assert value(m, "farebox_upstream_responses_total", upstream="openai", status="200") == 1
    assert value(m, "farebox_upstream_errors_total", upstream="openai", status="503") == 1
    assert value(m, "farebox_upstream_errors_total", upstream="openai", status="200") == 0
    assert value(m, "farebox_upstream_duration_seconds_count", upstream="openai") == 2
    assert value(m, "farebox_revenue_usd_total", route=CHAT, model="gpt-4o") == 0.012345
    assert value(m, "farebox_upstream_cost_usd_total", route=CHAT, model="gpt-4o") == 0.004
    assert value(m, "farebox_tokens_total", model="gpt-4o", direction="input") == 1000
    assert value(m, "farebox_tokens_total", model="gpt-4o", direction="output") == 200
    assert value(m, "farebox_tokens_total", model="gpt-4o", direction="cached_input") == 300
    assert value(m, "farebox_price_resolutions_total", source="models") == 2
    assert value(m, "farebox_price_resolutions_total", source="fallback") == 1


def test_each_gateway_has_its_own_registry() -> None:
    first, second = GatewayMetrics(process=False), GatewayMetrics(process=False)
    script(first)
    assert value(first, "farebox_payments_total", outcome="settled") == 1
    assert value(second, "farebox_payments_total", outcome="settled") == 0


def test_upstream_failures_are_errors_by_kind() -> None:
    m = GatewayMetrics(process=False)
    m.upstream("anthropic", "timeout", 30.0)
    m.upstream("anthropic", "connect error!", 0.01)
    assert value(m, "farebox_upstream_errors_total", upstream="anthropic", status="timeout") == 1
    assert value(m, "farebox_upstream_errors_total", upstream="anthropic", status="error") == 1


def test_caller_chosen_label_values_are_bounded() -> None:
    m = GatewayMetrics(process=False, max_label_values=3)
    for i in range(10):
        m.tokens(f"made-up-model-{i}", 1, 1)
    m.tokens("made-up-model-0", 1, 1)  # an early value keeps its own series
    m.request_started()
    m.request_finished(CHAT, "BREW", 999, 0.1)

    models = {
        dict(labels)["model"] for name, labels in samples(m) if name == "farebox_tokens_total"
    }
    assert models == {"made-up-model-0", "made-up-model-1", "made-up-model-2", "other"}
    assert value(m, "farebox_tokens_total", model="other", direction="input") == 7
    assert value(m, "farebox_tokens_total", model="made-up-model-0", direction="input") == 2
    assert value(m, "farebox_requests_total", route=CHAT, method="other", status="other") == 1


def test_an_unknown_payment_outcome_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="'paid' is not a payment outcome; use one of: missing"):
        GatewayMetrics(process=False).payment("paid")


def test_process_metrics_are_included_by_default() -> None:
    names = {name for name, _ in samples(GatewayMetrics())}
    assert "process_cpu_seconds_total" in names
