"""The payments ledger: one row per paid request, for reports, audits and settlement retries.

Where it lives (`stores.ledger` in the config):
  * nothing set: an SQLite file `farebox-ledger.db` next to the config file;
  * a file path (relative to the config file's directory), or `sqlite:///ledger.db`;
  * `postgresql://user:password@host:5432/database`: PostgreSQL, for several gateway
    instances sharing one ledger (tables farebox_ledger and farebox_ledger_pending are
    created on start; add `?search_path=NAME` to use an existing schema NAME).

Writing it costs the request path nothing but a queue put (record()); the one awaited
write is record_pending(), made before an after-response or metered settlement is
attempted, so a crash between serving and settling cannot lose the money owed.

Payers are stored as given: their on-chain address. An operator who prefers not to keep
addresses can store pseudonymous_payer(address, key) instead (a keyed HMAC; a plain hash
of a public address is reversible by hashing every address on-chain).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from farebox.stores.ledger_backend import DEFAULT_TABLE, LedgerBackend, LedgerError
from farebox.stores.ledger_batch import DEFAULT_LEASE_SECONDS, BatchedLedger, row_json
from farebox.stores.ledger_rows import (
    LedgerRow,
    Outcome,
    PendingSettlement,
    TokenAverage,
    UsageLike,
    new_request_id,
    pseudonymous_payer,
)
from farebox.stores.ledger_sqlite import MEMORY, SqliteLedgerBackend

DEFAULT_LEDGER_FILE = "farebox-ledger.db"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_PREFIX = "sqlite://"


class PaymentLedger(Protocol):
    """What the gateway, the start-up retry and `farebox report` use."""

    dropped: int
    lost: int

    @property
    def description(self) -> str: ...
    async def close(self, timeout: float = ...) -> None: ...
    def record(self, row: LedgerRow) -> None: ...
    async def flush(self) -> None: ...
    async def record_pending(
        self,
        row: LedgerRow,
        *,
        payment_header: str,
        requirements_json: str,
        expires_at: int,
        lease_seconds: int = ...,
        now: int | None = ...,
    ) -> PendingSettlement: ...
    async def claim_pending(
        self,
        request_id: str,
        *,
        lease_seconds: int = ...,
        now: int | None = ...,
        ignore_lease: bool = ...,
    ) -> bool: ...
    async def resolve_pending(
        self,
        request_id: str,
        *,
        outcome: str,
        charged: int = ...,
        tx: str | None = ...,
        reason: str | None = ...,
        usage: UsageLike | None = ...,
        upstream_cost: Decimal | None = ...,
    ) -> bool: ...
    async def pending_settlements(self) -> list[PendingSettlement]: ...
    async def rows(self, since: datetime | None = ...) -> list[LedgerRow]: ...
    async def average_tokens_by_model(
        self, since: datetime | None = ..., *, include_estimated: bool = ...
    ) -> dict[str, TokenAverage]: ...


def ledger_location(setting: str | None, config_dir: Path) -> str:
    """The ledger a config asks for: a PostgreSQL URL as given, else an SQLite file path.

    Relative file paths are read from the config file's directory, like every other path.
    """
    if setting is None or not setting.strip():
        return str(config_dir / DEFAULT_LEDGER_FILE)
    text = setting.strip()
    if text.startswith(POSTGRES_SCHEMES) or text == MEMORY:
        return text
    if text.startswith(SQLITE_PREFIX):
        text = text.removeprefix(SQLITE_PREFIX)
        # As SQLAlchemy reads it: sqlite:///relative.db, sqlite:////absolute.db
        text = text.removeprefix("/") or MEMORY
        if text == MEMORY:
            return text
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise LedgerError(
            f'stores.ledger: "{scheme}://..." is not a ledger location; use a file path like '
            '"ledger.db" (SQLite) or a URL like "postgresql://user@host:5432/farebox"'
        )
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else config_dir / path)


def ledger_backend(location: str, *, table: str = DEFAULT_TABLE) -> LedgerBackend:
    if location.startswith(POSTGRES_SCHEMES):
        from farebox.stores.ledger_postgres import PostgresLedgerBackend  # only when used

        return PostgresLedgerBackend(location, table=table)
    return SqliteLedgerBackend(location, table=table)


async def open_ledger(location: str, *, table: str = DEFAULT_TABLE) -> BatchedLedger:
    """Connect to the ledger at `location` (see ledger_location), creating its tables.

    Close it with `await ledger.close()`: that writes every queued row first.
    """
    ledger = BatchedLedger(ledger_backend(location, table=table))
    await ledger.open()
    return ledger


__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_LEDGER_FILE",
    "BatchedLedger",
    "LedgerError",
    "LedgerRow",
    "Outcome",
    "PaymentLedger",
    "PendingSettlement",
    "TokenAverage",
    "ledger_backend",
    "ledger_location",
    "new_request_id",
    "open_ledger",
    "pseudonymous_payer",
    "row_json",
]
