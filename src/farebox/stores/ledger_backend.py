"""The storage engine seam under the payments ledger: SQLite and PostgreSQL implement it.

An engine does plain, awaited writes; queueing and batching live in ledger_batch, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from farebox.stores.ledger_rows import LedgerRow, PendingSettlement, Resolution

ROW_COLUMNS = tuple("at" if name == "time" else name for name in LedgerRow.__dataclass_fields__)
"""Table columns in LedgerRow field order ("time" is `at`: time is an SQL type name)."""

RESOLVED_COLUMNS = ("outcome", "charged", "tx", "reason")
"""Set from a Resolution as given; its other (token, cost) fields only when not None."""

KEPT_UNLESS_GIVEN = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "tokens_estimated",
    "upstream_cost",
)

DEFAULT_TABLE = "farebox_ledger"


class LedgerError(RuntimeError):
    """The ledger cannot be opened or used; the message says where and what to change."""


class LedgerBackend(Protocol):
    @property
    def description(self) -> str:
        """Where the rows live, for messages (never a password)."""
        ...

    async def open(self) -> None:
        """Connect and create the tables when missing."""
        ...

    async def close(self) -> None: ...

    async def upsert(self, rows: Sequence[LedgerRow]) -> None:
        """Write final rows (replacing rows with the same id) and drop their retry data."""
        ...

    async def insert_pending(self, pendings: Sequence[PendingSettlement]) -> None:
        """Durably store pending rows and their retry data, all in one transaction."""
        ...

    async def claim(self, request_id: str, lease_until: int, now: int, ignore_lease: bool) -> bool:
        """Take a pending settlement's lease when it has run out; True when taken."""
        ...

    async def resolve(self, request_id: str, resolution: Resolution) -> bool:
        """End a pending row; False when it is not (or no longer) pending."""
        ...

    async def pending(self) -> list[PendingSettlement]: ...

    async def rows(self, since: datetime | None) -> list[LedgerRow]: ...

    async def token_sums(
        self, since: datetime | None, include_estimated: bool
    ) -> dict[str, tuple[int, int, int]]:
        """model -> (sum of input tokens, sum of output tokens, requests)."""
        ...
