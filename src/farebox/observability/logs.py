"""JSON log lines: one per request (farebox.access), one per settlement event
(farebox.settlement), and every other farebox log record in the same shape.

Secrets never reach a line: fields named like credentials are replaced, and text is
scrubbed of bearer tokens, API keys, key=... query parameters and long base64 runs
(an encoded payment header or signature). Only the path is logged, never the query.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from farebox.pricing.money import format_dollars

ACCESS_LOGGER = "farebox.access"
SETTLEMENT_LOGGER = "farebox.settlement"
FIELDS_ATTR = "farebox_fields"  # where a record carries its structured fields
REDACTED = "[redacted]"

SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "api_key",
        "apikey",
        "x-goog-api-key",
        "password",
        "secret",
        "payment-signature",
        "x-payment",
        "payment_header",
        "payment-required",
        "payment-response",
    }
)

_SCRUBBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\bbearer\s+[^\s\"',;]+"), f"Bearer {REDACTED}"),
    (re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"), f"Basic {REDACTED}"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), REDACTED),  # OpenAI, Anthropic (sk-ant-...)
    (re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"), REDACTED),  # Google API keys
    (
        re.compile(r"(?i)([?&](?:key|api_key|apikey|token|access_token|signature)=)[^&\s\"']+"),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)((?:x-api-key|api[_-]?key|authorization|payment-signature|x-payment)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"[A-Za-z0-9+/_-]{120,}={0,2}"), "[redacted base64]"),
)


def scrub(text: str) -> str:
    """Text with credentials and encoded payments replaced."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str = "") -> Any:
    """A field value safe to log: credential-named fields hidden, strings scrubbed."""
    if key.lower() in SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: msg, timestamp (UTC), level, logger, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "msg": scrub(record.getMessage()),
            "timestamp": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            for key, val in fields.items():
                entry.setdefault(key, redact(val, key))
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False, separators=(",", ":"))


def request_log(
    *,
    method: str,
    path: str,
    route: str | None,
    status: int,
    duration_ms: float,
    price: int | None = None,
    model: str | None = None,
    payer: str | None = None,
    tx: str | None = None,
    request_id: str | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """The access line of one request. `path` is the path only, never the query string;
    `price` is USDC atomic units (logged as dollars), None for unpriced requests."""
    fields = {
        "method": method,
        "path": path.partition("?")[0],
        "route": route,
        "status": status,
        "duration_ms": round(duration_ms, 3),
        "price": None if price is None else format_dollars(price),
        "model": model,
        "payer": payer,
        "tx": tx,
        "request_id": request_id,
    }
    level = logging.ERROR if status >= 500 else logging.INFO
    _emit(logger or logging.getLogger(ACCESS_LOGGER), level, "request", fields)


def settlement_log(
    *,
    event: str,
    request_id: str | None,
    route: str | None,
    amount: int | None = None,
    network: str | None = None,
    payer: str | None = None,
    tx: str | None = None,
    reason: str | None = None,
    duration_ms: float | None = None,
    logger: logging.Logger | None = None,
) -> None:
    """A settlement event: "pending", "settled", "settle-failed", "not-settled", "expired",
    "retried-settled", "retried-settle-failed", "retry-deferred". `amount` is USDC atomic
    units (logged as dollars). Failures log as warnings."""
    fields = {
        "event": event,
        "request_id": request_id,
        "route": route,
        "amount": None if amount is None else format_dollars(amount),
        "network": network,
        "payer": payer,
        "tx": tx,
        "reason": reason,
        "duration_ms": None if duration_ms is None else round(duration_ms, 3),
    }
    failed = event.endswith(("failed", "expired", "deferred"))
    level = logging.WARNING if failed else logging.INFO
    _emit(logger or logging.getLogger(SETTLEMENT_LOGGER), level, "settlement", fields)


def receipt_log(
    *,
    request_id: str | None,
    route: str | None,
    receipt: Mapping[str, Any],
    tx: str | None,
    logger: logging.Logger | None = None,
) -> None:
    """The receipt a metered caller got (model, tokens, rates, amount, ceiling)."""
    fields = {"request_id": request_id, "route": route, "tx": tx, **receipt}
    _emit(logger or logging.getLogger(SETTLEMENT_LOGGER), logging.INFO, "receipt", fields)


def configure_json_logging(
    level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Make the root logger write JSON lines (to stderr by default), replacing its handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def _emit(logger: logging.Logger, level: int, msg: str, fields: dict[str, Any]) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, msg, extra={FIELDS_ATTR: fields})


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
