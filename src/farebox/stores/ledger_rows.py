"""What the payments ledger holds: one row per paid request, and the retry data of a
settlement that has not happened yet."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Protocol

MAX_ATOMIC = 2**63 - 1  # both engines store amounts as 64-bit integers ($9.2 trillion of USDC)


class Outcome(StrEnum):
    """What happened to a request's payment."""

    SETTLED = "settled"  # the money moved
    NOT_SETTLED = "not-settled"  # deliberately not charged: upstream 5xx, a hook said no
    SETTLE_FAILED = "settle-failed"  # the facilitator could not settle it
    PENDING = "pending"  # to be settled after the response; retried after a crash
    EXPIRED = "expired"  # was pending, and its authorization ran out before a retry


class UsageLike(Protocol):
    """Token counts as farebox.llm.Usage carries them (not imported: it pulls the catalog in)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cached_input_tokens(self) -> int: ...
    @property
    def estimated(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One paid request. Amounts are USDC atomic units; upstream_cost is exact USD.

    `payer` is stored as given (an on-chain address); see pseudonymous_payer() to store a
    keyed hash instead. Token counts are None when the route is not an LLM route.
    """

    request_id: str
    time: datetime  # UTC, timezone-aware
    route: str  # the route key, like "POST /v1/chat/completions"
    outcome: str  # an Outcome value
    quoted: int
    charged: int = 0
    model: str | None = None
    payer: str | None = None
    scheme: str | None = None  # "exact" | "upto"
    network: str | None = None  # CAIP-2, like "eip155:8453"
    settlement: str | None = None  # "before-response" | "after-response"
    reason: str | None = None  # why not settled / why the settle failed
    tx: str | None = None  # the facilitator's transaction id
    status: int | None = None  # the HTTP status the caller got
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    tokens_estimated: bool = False
    upstream_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.request_id:
            raise ValueError("a ledger row needs a request_id (see new_request_id())")
        if self.time.tzinfo is None or self.time.utcoffset() != timedelta(0):
            raise ValueError(
                f"ledger row {self.request_id}: time {self.time.isoformat()} must be UTC "
                "and timezone-aware, like datetime.now(UTC)"
            )
        object.__setattr__(self, "outcome", parse_outcome(self.outcome))
        _check_atomic(self.quoted, "quoted", self.request_id)
        _check_atomic(self.charged, "charged", self.request_id)
        for name in ("input_tokens", "output_tokens", "cached_input_tokens"):
            _check_tokens(getattr(self, name), name, self.request_id)
        if self.upstream_cost is not None:
            _check_cost(self.upstream_cost, self.request_id)

    def with_usage(self, usage: UsageLike | None) -> LedgerRow:
        """This row with a request's token counts (measured, or estimated)."""
        if usage is None:
            return self
        return replace(
            self,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            tokens_estimated=usage.estimated,
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a pending settlement ended. None fields keep what the pending row holds."""

    outcome: str
    charged: int = 0
    tx: str | None = None
    reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    tokens_estimated: bool | None = None
    upstream_cost: Decimal | None = None

    def __post_init__(self) -> None:
        outcome = parse_outcome(self.outcome)
        if outcome == Outcome.PENDING:
            raise ValueError("a pending settlement cannot be resolved as pending")
        object.__setattr__(self, "outcome", outcome)
        _check_atomic(self.charged, "charged", "resolution")
        for name in ("input_tokens", "output_tokens", "cached_input_tokens"):
            _check_tokens(getattr(self, name), name, "resolution")
        if self.upstream_cost is not None:
            _check_cost(self.upstream_cost, "resolution")


@dataclass(frozen=True, slots=True)
class PendingSettlement:
    """A settlement recorded before it was attempted, with what it takes to retry it.

    payment_header is the encoded PAYMENT-SIGNATURE as received; requirements_json the
    PaymentRequirements it was verified against; expires_at the authorization's end
    (unix seconds: validBefore for exact, the Permit2 deadline for upto); lease_until
    the time (unix seconds) until which the instance that recorded or claimed it owns it.
    """

    row: LedgerRow
    payment_header: str
    requirements_json: str
    expires_at: int
    lease_until: int

    @property
    def request_id(self) -> str:
        return self.row.request_id

    def expired(self, now: int) -> bool:
        return self.expires_at <= now

    def retry_values(self) -> tuple[str, str, str, int, int]:
        """The pending table's columns: request_id, payment_header, requirements_json,
        expires_at, lease_until (every backend stores them in this order)."""
        return (
            self.request_id,
            self.payment_header,
            self.requirements_json,
            self.expires_at,
            self.lease_until,
        )


class TokenAverage(NamedTuple):
    """Observed token shape of one model: mean input and output tokens over n requests."""

    avg_in: float
    avg_out: float
    n: int


def parse_outcome(value: str) -> str:
    try:
        return Outcome(value).value
    except ValueError:
        known = ", ".join(o.value for o in Outcome)
        raise ValueError(f"{value!r} is not a ledger outcome; use one of: {known}") from None


def new_request_id() -> str:
    """A unique id for one request, to tie its ledger row, logs and retries together."""
    return uuid.uuid4().hex


def pseudonymous_payer(payer: str, key: bytes) -> str:
    """A stable pseudonym for a payer address, for operators who prefer not to keep them.

    Keyed (HMAC-SHA256), because payer addresses are public on-chain: a plain hash could
    be reversed by hashing every address seen on-chain. Keep the key secret and constant,
    or per-payer reports stop adding up. The address is lower-cased first.
    """
    digest = hmac.new(key, payer.lower().encode(), hashlib.sha256).hexdigest()
    return f"hmac:{digest[:32]}"


def _check_atomic(value: object, name: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ATOMIC:
        raise ValueError(
            f"ledger row {where}: {name} must be USDC atomic units, an int from 0 to "
            f"{MAX_ATOMIC}, got {value!r}"
        )


def _check_tokens(value: object, name: str, where: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ATOMIC:
        raise ValueError(f"ledger row {where}: {name} must be a token count >= 0, got {value!r}")


def _check_cost(value: object, where: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(
            f"ledger row {where}: upstream_cost must be a Decimal of USD >= 0 "
            f'(like Decimal("0.000125")), got {value!r}'
        )
