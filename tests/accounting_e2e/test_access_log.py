"""`farebox start` writes one JSON object per line: an access line per request, with what was
charged and by whom, and never the payment header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from farebox.payments.header import decode_payment
from tests.accounting_e2e.conftest import Facilitator
from tests.accounting_e2e.support import GatewayProcess, Servers, config_text
from tests.accounting_e2e.traffic import CHAT, MODEL, ROUTES, STATUS, metered, write_hooks
from tests.llm_routes.support import settle_response
from tests.support.payer import new_account, required_of, sign_for

ACCESS_FIELDS = {
    "msg",
    "timestamp",
    "level",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "price",
    "model",
    "payer",
    "tx",
}
SECRET_QUERY = "key=sk-test-must-never-be-logged"


async def test_one_json_access_line_per_request_without_the_payment_header(
    servers: Servers, facilitator: Facilitator, merchant: str, tmp_path: Path
) -> None:
    config = tmp_path / "farebox.yaml"
    config.write_text(config_text(ROUTES, servers, merchant))
    write_hooks(tmp_path)
    payer = new_account()
    with GatewayProcess(config, tmp_path / "gateway.log") as gateway:
        url = await gateway.ready()  # GET /health
        async with httpx.AsyncClient(timeout=30) as plain:
            unpaid = await plain.get(f"{url}/status/200?{SECRET_QUERY}")
            header = await sign_for(payer, required_of(unpaid))
            paid = await plain.get(f"{url}/status/200", headers={"PAYMENT-SIGNATURE": header})
        assert paid.status_code == 200, paid.text
        metered_payer, answer = await metered(url, MODEL)  # a 402, then the paid request
        assert answer.status_code == 200, answer.text
        gateway.stop()

    text = gateway.text()
    lines = [line for line in text.splitlines() if line.strip()]
    entries = gateway.json_lines()
    assert len(entries) == len(lines)  # every line is one JSON object
    assert all(isinstance(entry, dict) for entry in entries)
    access = [e for e in entries if e.get("logger") == "farebox.access"]
    assert len(access) == 5
    for entry in access:
        assert entry.keys() >= ACCESS_FIELDS, entry
        assert entry["msg"] == "request"
        assert entry["timestamp"].endswith("Z")
        assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0

    health, refused, served, metered_402, metered_paid = access
    assert (health["path"], health["route"], health["status"], health["price"]) == (
        "/health",
        None,
        200,
        None,
    )
    assert summary(refused) == ("GET", "/status/200", STATUS, 402, "$0.02", None, None, None)
    tx = settle_response(paid.headers["payment-response"]).transaction
    assert facilitator.mined(tx)
    assert summary(served) == ("GET", "/status/200", STATUS, 200, "$0.02", None, payer.address, tx)
    assert (metered_402["status"], metered_402["model"], metered_402["payer"]) == (402, MODEL, None)
    assert (metered_paid["route"], metered_paid["status"], metered_paid["model"]) == (
        CHAT,
        200,
        MODEL,
    )
    assert metered_paid["payer"] == metered_payer.address
    assert facilitator.mined(metered_paid["tx"])

    signature = decode_payment(header).payload["signature"]
    for secret in (header, signature, SECRET_QUERY, "sk-test"):
        assert secret not in text
    assert "payment-signature" not in text.lower()


def summary(entry: dict[str, Any]) -> tuple[Any, ...]:
    fields = ("method", "path", "route", "status", "price", "model", "payer", "tx")
    return tuple(entry[name] for name in fields)
