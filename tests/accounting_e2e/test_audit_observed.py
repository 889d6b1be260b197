"""`farebox models audit` prices each model at the token shape callers really sent, once the
ledger holds measured (not estimated) metered rows for it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tests.accounting_e2e.conftest import GatewayFactory, Ledger
from tests.accounting_e2e.support import run_cli
from tests.accounting_e2e.traffic import CHAT, IN, MODEL, OUT, PROMPT, metered
from tests.llm_routes.support import FAKE_REPLY_WORDS

ROUTES = f"""\
  "{CHAT}":
    upstream: openai
    type: token-based
    models:
      {MODEL}: {{input: "{IN}", output: "{OUT}"}}
"""
SHORT = 10  # max_tokens of one request: the fake LLM answers that many tokens


def audit(tmp_path: Path) -> tuple[str, dict[str, object]]:
    """(the table, the JSON row of MODEL) from `farebox models audit --config farebox.yaml`."""
    text = run_cli("models", "audit", "--config", "farebox.yaml", cwd=tmp_path)
    assert text.returncode == 0, text.stdout + text.stderr
    data = run_cli("models", "audit", "--config", "farebox.yaml", "--json", cwd=tmp_path)
    assert data.returncode == 0, data.stderr
    [route] = json.loads(data.stdout)["routes"]
    [row] = route["rows"]
    assert row["model"] == MODEL
    return text.stdout, row


async def test_audit_uses_the_shapes_observed_in_the_ledger(
    gateway: GatewayFactory, ledger: Ledger, tmp_path: Path
) -> None:
    running = gateway(ROUTES, ledger=ledger.setting)  # writes farebox.yaml, opens the ledger
    before, row = audit(tmp_path)
    assert "observed" not in before
    assert row["shape"] == {"input_tokens": 1000, "output_tokens": 500, "observed_requests": 0}

    for max_tokens in (SHORT, None):
        _, response = await metered(running.url, MODEL, max_tokens=max_tokens)
        assert response.status_code == 200, response.text
    _, response = await metered(running.url, MODEL, **{"x-fake-usage": "omit"})  # an estimate
    assert response.status_code == 200, response.text
    running.stop()

    after, row = audit(tmp_path)
    observed_out = math.ceil((SHORT + FAKE_REPLY_WORDS) / 2)
    assert row["shape"] == {
        "input_tokens": PROMPT,
        "output_tokens": observed_out,
        "observed_requests": 2,  # the estimated request is not an observation
    }
    assert f"{PROMPT}:{observed_out} (observed, n=2)" in after
