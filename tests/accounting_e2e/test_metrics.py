"""GET /metrics after a scripted run of paid, unpaid, failed and metered requests.

Every paid request made by the official client is two HTTP requests: the 402 that tells it
what to pay, then the paid retry. Both are priced, so both count.
"""

from __future__ import annotations

import httpx

from tests.accounting_e2e.conftest import Facilitator, GatewayFactory
from tests.accounting_e2e.support import START_BALANCE, parse_metrics, sample, total
from tests.accounting_e2e.traffic import (
    CATALOG_MODEL,
    CHAT,
    FALLBACK,
    METERED_COST,
    MODEL,
    PROMPT,
    ROUTES,
    STATUS,
    UNKNOWN_MODEL,
    catalog_charge,
    catalog_cost,
    metered,
    paid_get,
)
from tests.llm_routes.support import FAKE_REPLY_WORDS

N, M, K = 3, 2, 2  # paid and served, unpaid (402), paid but the upstream answered 5xx
PRICE = 20_000


async def test_metrics_after_a_scripted_run(
    gateway: GatewayFactory, facilitator: Facilitator, merchant: str
) -> None:
    url = gateway(ROUTES, metrics=True).url
    for _ in range(N):
        _, response = await paid_get(f"{url}/status/200")
        assert response.status_code == 200
    async with httpx.AsyncClient(timeout=30) as plain:
        for _ in range(M):
            assert (await plain.get(f"{url}/status/200")).status_code == 402
    for _ in range(K):
        _, response = await paid_get(f"{url}/status/503")
        assert response.status_code == 503
    for model in (MODEL, CATALOG_MODEL, UNKNOWN_MODEL):
        _, response = await metered(url, model)
        assert response.status_code == 200, response.text
    async with httpx.AsyncClient(timeout=30) as plain:
        scraped = await plain.get(f"{url}/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    m = parse_metrics(scraped.text)

    paid = N + K + 3  # each also got a 402 first
    requests = "farebox_requests_total"
    assert sample(m, requests, route=STATUS, method="GET", status="200") == N
    assert sample(m, requests, route=STATUS, method="GET", status="402") == M + N + K
    assert sample(m, requests, route=STATUS, method="GET", status="503") == K
    assert sample(m, requests, route=CHAT, method="POST", status="200") == 3
    assert sample(m, requests, route=CHAT, method="POST", status="402") == 3
    assert total(m, requests) == M + 2 * paid
    assert sample(m, "farebox_active_requests") == 1  # the scrape itself

    payments = "farebox_payments_total"
    assert sample(m, payments, outcome="missing") == M + paid
    assert sample(m, payments, outcome="verified") == N + K + 2  # the fallback settles at once
    assert sample(m, payments, outcome="settled") == N + 3
    assert sample(m, payments, outcome="refunded") == K
    assert sample(m, payments, outcome="rejected") == sample(m, payments, outcome="settle_failed")
    assert sample(m, payments, outcome="rejected") == 0

    charged = N * PRICE + METERED_COST + catalog_charge() + FALLBACK
    assert facilitator.balance(merchant) - START_BALANCE == charged
    revenue = "farebox_revenue_usd_total"
    assert round(total(m, revenue) * 1_000_000) == charged
    assert round(sample(m, revenue, route=STATUS, model="") * 1_000_000) == N * PRICE
    assert round(sample(m, revenue, route=CHAT, model=MODEL) * 1_000_000) == METERED_COST
    assert round(sample(m, revenue, route=CHAT, model=UNKNOWN_MODEL) * 1_000_000) == FALLBACK
    cost = sample(m, "farebox_upstream_cost_usd_total", route=CHAT, model=CATALOG_MODEL)
    assert round(cost * 10**12) == round(catalog_cost() * 10**12)

    for model in (MODEL, CATALOG_MODEL):
        assert sample(m, "farebox_tokens_total", model=model, direction="input") == PROMPT
        assert sample(m, "farebox_tokens_total", model=model, direction="output") == (
            FAKE_REPLY_WORDS
        )
    assert total(m, "farebox_tokens_total", model=UNKNOWN_MODEL) == 0  # flat: not metered

    resolutions = "farebox_price_resolutions_total"
    assert sample(m, resolutions, source="price") == M + 2 * (N + K)
    assert sample(m, resolutions, source="models") == 2
    assert sample(m, resolutions, source="catalog") == 2
    assert sample(m, resolutions, source="fallback") == 2

    upstream = "farebox_upstream_responses_total"
    assert sample(m, upstream, upstream="api", status="200") == N
    assert sample(m, upstream, upstream="api", status="503") == K
    assert sample(m, upstream, upstream="openai", status="200") == 3
    assert sample(m, "farebox_upstream_errors_total", upstream="api", status="503") == K
    assert total(m, "farebox_settlement_duration_seconds_count", success="true") == N + 3


async def test_no_metrics_endpoint_unless_enabled(gateway: GatewayFactory) -> None:
    url = gateway(ROUTES).url
    async with httpx.AsyncClient(timeout=30) as plain:
        assert (await plain.get(f"{url}/metrics")).status_code == 404
