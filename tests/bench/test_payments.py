"""Unsigned payment headers are valid x402 v2 payloads, each a distinct authorization."""

from __future__ import annotations

import base64
import json
import time

import pytest
from x402.http.utils import encode_payment_required_header
from x402.schemas import PaymentRequired, PaymentRequirements

from bench.payments import PAYER, requirements_from_402, unsigned_payment_headers, write_lines
from farebox.config.chain import usdc_address
from farebox.payments.header import bind_to_price, decode_payment, payment_key

REQUIREMENTS = PaymentRequirements(
    scheme="exact",
    network="eip155:84532",
    asset=usdc_address("eip155:84532"),
    amount="10000",
    pay_to="0x" + "12" * 20,
    max_timeout_seconds=60,
    extra={"name": "USDC", "version": "2"},
)


def test_headers_decode_and_bind_to_the_requirements_they_were_made_for() -> None:
    headers = unsigned_payment_headers(REQUIREMENTS, 50)
    payloads = [decode_payment(h) for h in headers]
    assert all(bind_to_price(p, [REQUIREMENTS]) == REQUIREMENTS for p in payloads)
    auth = payloads[0].payload["authorization"]
    assert auth["from"] == PAYER and auth["to"] == REQUIREMENTS.pay_to
    assert auth["value"] == "10000" and auth["validAfter"] == "0"
    assert int(auth["validBefore"]) > time.time()
    assert payloads[0].payload["signature"] == "0x" + "11" * 65


def test_every_header_is_its_own_authorization_for_the_replay_lock() -> None:
    headers = unsigned_payment_headers(REQUIREMENTS, 500)
    assert len({payment_key(decode_payment(h)) for h in headers}) == 500
    nonce = decode_payment(headers[0]).payload["authorization"]["nonce"]
    assert nonce.startswith("0x") and len(nonce) == 66


def test_requirements_come_from_a_402_header() -> None:
    header = encode_payment_required_header(PaymentRequired(accepts=[REQUIREMENTS]))
    assert requirements_from_402(header) == REQUIREMENTS


def test_a_402_without_options_is_refused_with_what_it_held() -> None:
    header = base64.b64encode(json.dumps({"x402Version": 2, "accepts": []}).encode()).decode()
    with pytest.raises(ValueError, match="offered no x402 v2 payment option"):
        requirements_from_402(header)


def test_headers_file_holds_one_header_per_line(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    headers = unsigned_payment_headers(REQUIREMENTS, 3)
    path = write_lines(tmp_path / "h.txt", headers)
    assert path.read_text().split() == headers
