"""JSON log lines: valid JSON with the promised fields, and no secrets in them."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from farebox.observability.logs import (
    ACCESS_LOGGER,
    SETTLEMENT_LOGGER,
    JsonFormatter,
    configure_json_logging,
    redact,
    request_log,
    scrub,
    settlement_log,
)

API_KEY = "sk-proj-Abc123def456ghi789jkl012mno345"
PAYMENT_HEADER = base64.b64encode(
    json.dumps(
        {
            "x402Version": 2,
            "payload": {
                "signature": "0x" + "5f" * 65,
                "authorization": {"from": "0x" + "ab" * 20, "nonce": "0x" + "01" * 32},
            },
        }
    ).encode()
).decode()
PAYER = "0x" + "ab" * 20
TX = "0x" + "cd" * 32


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Capture farebox log records as JSON lines, the way `farebox start` writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("farebox")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_line_has_every_field(lines: io.StringIO) -> None:
    request_log(
        method="POST",
        path="/v1/chat/completions?key=" + API_KEY,
        route="POST /v1/chat/completions",
        status=200,
        duration_ms=12.34567,
        price=12_500,
        model="gpt-4o",
        payer=PAYER,
        tx=TX,
        request_id="r1",
    )
    [entry] = parsed(lines)
    assert entry["msg"] == "request" and entry["level"] == "info"
    assert entry["logger"] == ACCESS_LOGGER
    assert datetime.fromisoformat(str(entry["timestamp"]).replace("Z", "+00:00")).tzinfo
    assert {k: entry[k] for k in ("method", "path", "route", "status", "duration_ms")} == {
        "method": "POST",
        "path": "/v1/chat/completions",
        "route": "POST /v1/chat/completions",
        "status": 200,
        "duration_ms": 12.346,
    }
    assert (entry["price"], entry["model"], entry["payer"], entry["tx"]) == (
        "$0.0125",
        "gpt-4o",
        PAYER,
        TX,
    )
    assert entry["request_id"] == "r1"
    assert API_KEY not in lines.getvalue()


def test_a_failed_request_logs_at_error_level_with_empty_fields_as_null(
    lines: io.StringIO,
) -> None:
    request_log(method="GET", path="/x", route=None, status=502, duration_ms=1)
    [entry] = parsed(lines)
    assert entry["level"] == "error"
    assert entry["price"] is None and entry["tx"] is None and entry["route"] is None


def test_settlement_events(lines: io.StringIO) -> None:
    settlement_log(
        event="settled",
        request_id="r1",
        route="POST /v1/chat",
        amount=7,
        network="eip155:8453",
        payer=PAYER,
        tx=TX,
        duration_ms=250,
    )
    settlement_log(event="expired", request_id="r2", route=None, reason="authorization ended")
    first, second = parsed(lines)
    assert first["msg"] == "settlement" and first["logger"] == SETTLEMENT_LOGGER
    assert (first["event"], first["amount"], first["tx"], first["level"]) == (
        "settled",
        "$0.000007",
        TX,
        "info",
    )
    assert (second["event"], second["reason"], second["level"]) == (
        "expired",
        "authorization ended",
        "warning",
    )


def test_no_secret_reaches_a_line(lines: io.StringIO) -> None:
    log = logging.getLogger("farebox.gateway")
    log.warning("upstream said: Authorization: Bearer %s", API_KEY)
    log.info("header %s", PAYMENT_HEADER)
    log.info("decoded %s", base64.b64decode(PAYMENT_HEADER).decode())
    log.info(
        "details",
        extra={
            "farebox_fields": {
                "headers": {"x-api-key": "plain-key", "PAYMENT-SIGNATURE": PAYMENT_HEADER},
                "note": f"retry with {PAYMENT_HEADER}",
                "google": "AIzaSyA1234567890abcdefghijklmnopqrstu",
            }
        },
    )
    try:
        raise RuntimeError(f"failed calling with api_key={API_KEY}")
    except RuntimeError:
        log.exception("boom")

    text = lines.getvalue()
    entries = parsed(lines)
    assert len(entries) == 5
    for secret in (API_KEY, PAYMENT_HEADER, PAYMENT_HEADER[:60], "plain-key", "AIzaSyA12345"):
        assert secret not in text
    assert "5f5f5f5f5f5f5f5f" not in text  # the signature, even decoded
    assert entries[3]["headers"] == {"x-api-key": "[redacted]", "PAYMENT-SIGNATURE": "[redacted]"}
    assert entries[4]["msg"] == "boom" and "RuntimeError" in str(entries[4]["error"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def-ghi", "Bearer [redacted]"),
        ("x-api-key: abc123", "x-api-key: [redacted]"),
        ('{"api_key": "abc123"}', '{"api_key": "[redacted]"}'),
        ("/v1beta/models/g:generateContent?key=AIzaXYZ&alt=sse", "?key=[redacted]&alt=sse"),
        (f"tx {TX} from {PAYER}", f"tx {TX} from {PAYER}"),  # public ids stay readable
        ("model gpt-4o-mini-2024-07-18 in 1.2 s", "model gpt-4o-mini-2024-07-18 in 1.2 s"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert expected in scrub(text)


def test_redact_walks_nested_values() -> None:
    value = {"a": [{"Authorization": "x"}, f"k {API_KEY}"], "n": 3}
    assert redact(value) == {"a": [{"Authorization": "[redacted]"}, "k [redacted]"], "n": 3}


def test_configure_json_logging_makes_every_line_json() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_json_logging(logging.INFO, stream)
        logging.getLogger("farebox.anything").info("hello %s", "world")
        logging.getLogger("farebox.anything").debug("not shown")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    [entry] = parsed(stream)
    assert entry["msg"] == "hello world" and entry["level"] == "info"
