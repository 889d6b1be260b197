"""The ledger in one SQLite file: the embedded default.

sqlite3 blocks, so every call runs on one dedicated thread that owns the connection,
never on the event loop. WAL lets `farebox report` read while the gateway writes;
synchronous=FULL makes a committed pending row survive a power cut, not only a crash.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from farebox.stores.ledger_backend import (
    DEFAULT_TABLE,
    KEPT_UNLESS_GIVEN,
    RESOLVED_COLUMNS,
    ROW_COLUMNS,
    LedgerError,
)
from farebox.stores.ledger_rows import LedgerRow, Outcome, PendingSettlement, Resolution

T = TypeVar("T")

MEMORY = ":memory:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_BUSY_TIMEOUT_MS = 10_000  # several processes may share the file (gateway + report)


class SqliteLedgerBackend:
    def __init__(self, path: str | Path, table: str = DEFAULT_TABLE) -> None:
        self.path = str(path)
        self.table = table
        self.pending_table = f"{table}_pending"
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def description(self) -> str:
        return "an in-memory SQLite ledger" if self.path == MEMORY else f"SQLite file {self.path}"

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="farebox-ledger")
        await self._run(self._connect)

    async def close(self) -> None:
        if self._executor is None:
            return
        await self._run(self._disconnect)
        self._executor.shutdown(wait=True)
        self._executor = None

    async def upsert(self, rows: Sequence[LedgerRow]) -> None:
        await self._run(self._upsert, rows)

    async def insert_pending(self, pendings: Sequence[PendingSettlement]) -> None:
        await self._run(self._insert_pending, pendings)

    async def claim(self, request_id: str, lease_until: int, now: int, ignore_lease: bool) -> bool:
        return await self._run(self._claim, request_id, lease_until, now, ignore_lease)

    async def resolve(self, request_id: str, resolution: Resolution) -> bool:
        return await self._run(self._resolve, request_id, resolution)

    async def pending(self) -> list[PendingSettlement]:
        return await self._run(self._pending)

    async def rows(self, since: datetime | None) -> list[LedgerRow]:
        return await self._run(self._rows, since)

    async def token_sums(
        self, since: datetime | None, include_estimated: bool
    ) -> dict[str, tuple[int, int, int]]:
        return await self._run(self._token_sums, since, include_estimated)

    # --- on the ledger thread ---------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise LedgerError(f"{self.description} is not open; call await ledger.open() first")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _connect(self) -> None:
        if self.path != MEMORY:
            parent = Path(self.path).parent
            if not parent.is_dir():
                raise LedgerError(
                    f"cannot create the ledger {self.path}: directory {parent} does not exist; "
                    "create it, or point stores.ledger at a file in an existing directory"
                )
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if self.path != MEMORY:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(self._schema())
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot open the ledger {self.description}: {exc}; check stores.ledger"
            ) from exc
        self._conn = conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _schema(self) -> str:
        t, p = self.table, self.pending_table
        return f"""
        CREATE TABLE IF NOT EXISTS {t} (
            request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, route TEXT NOT NULL,
            outcome TEXT NOT NULL, quoted INTEGER NOT NULL, charged INTEGER NOT NULL,
            model TEXT, payer TEXT, scheme TEXT, network TEXT, settlement TEXT,
            reason TEXT, tx TEXT, status INTEGER,
            input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER,
            tokens_estimated INTEGER NOT NULL DEFAULT 0, upstream_cost TEXT);
        CREATE INDEX IF NOT EXISTS {t}_at ON {t} (at);
        CREATE TABLE IF NOT EXISTS {p} (
            request_id TEXT PRIMARY KEY REFERENCES {t} (request_id) ON DELETE CASCADE,
            payment_header TEXT NOT NULL, requirements_json TEXT NOT NULL,
            expires_at INTEGER NOT NULL, lease_until INTEGER NOT NULL);
        """

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _upsert(self, rows: Sequence[LedgerRow]) -> None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in ROW_COLUMNS[1:])
        insert = f"{self._insert_sql()} ON CONFLICT (request_id) DO UPDATE SET {updates}"
        with self._transaction() as conn:
            conn.executemany(insert, [to_values(row) for row in rows])
            conn.executemany(
                f"DELETE FROM {self.pending_table} WHERE request_id = ?",
                [(row.request_id,) for row in rows],
            )

    def _insert_pending(self, pendings: Sequence[PendingSettlement]) -> None:
        with self._transaction() as conn:
            conn.executemany(self._insert_sql(), [to_values(p.row) for p in pendings])
            conn.executemany(
                f"INSERT INTO {self.pending_table} (request_id, payment_header, "
                "requirements_json, expires_at, lease_until) VALUES (?, ?, ?, ?, ?)",
                [p.retry_values() for p in pendings],
            )

    def _claim(self, request_id: str, lease_until: int, now: int, ignore_lease: bool) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE {self.pending_table} SET lease_until = ? "
                "WHERE request_id = ? AND (lease_until <= ? OR ?)",
                (lease_until, request_id, now, ignore_lease),
            )
            return cursor.rowcount == 1

    def _resolve(self, request_id: str, resolution: Resolution) -> bool:
        sets = [f"{c} = ?" for c in RESOLVED_COLUMNS]
        sets += [f"{c} = COALESCE(?, {c})" for c in KEPT_UNLESS_GIVEN]
        values: list[object] = [getattr(resolution, c) for c in RESOLVED_COLUMNS]
        values += [
            resolution.input_tokens,
            resolution.output_tokens,
            resolution.cached_input_tokens,
            None if resolution.tokens_estimated is None else int(resolution.tokens_estimated),
            None if resolution.upstream_cost is None else str(resolution.upstream_cost),
        ]
        with self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE {self.table} SET {', '.join(sets)} WHERE request_id = ? AND outcome = ?",
                (*values, request_id, Outcome.PENDING.value),
            )
            if cursor.rowcount != 1:
                return False
            conn.execute(f"DELETE FROM {self.pending_table} WHERE request_id = ?", (request_id,))
            return True

    def _pending(self) -> list[PendingSettlement]:
        assert self._conn is not None
        columns = ", ".join(f"r.{c}" for c in ROW_COLUMNS)
        cursor = self._conn.execute(
            f"SELECT {columns}, p.payment_header, p.requirements_json, p.expires_at, "
            f"p.lease_until FROM {self.pending_table} p JOIN {self.table} r "
            "ON r.request_id = p.request_id ORDER BY r.at, r.request_id"
        )
        n = len(ROW_COLUMNS)
        return [
            PendingSettlement(from_values(rec[:n]), rec[n], rec[n + 1], rec[n + 2], rec[n + 3])
            for rec in cursor.fetchall()
        ]

    def _rows(self, since: datetime | None) -> list[LedgerRow]:
        assert self._conn is not None
        where, args = _since(since)
        cursor = self._conn.execute(
            f"SELECT {', '.join(ROW_COLUMNS)} FROM {self.table}{where} ORDER BY at, request_id",
            args,
        )
        return [from_values(rec) for rec in cursor.fetchall()]

    def _token_sums(
        self, since: datetime | None, include_estimated: bool
    ) -> dict[str, tuple[int, int, int]]:
        assert self._conn is not None
        where, args = _since(since)
        where += " AND " if where else " WHERE "
        where += "model IS NOT NULL AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL"
        if not include_estimated:
            where += " AND tokens_estimated = 0"
        cursor = self._conn.execute(
            f"SELECT model, SUM(input_tokens), SUM(output_tokens), COUNT(*) FROM {self.table}"
            f"{where} GROUP BY model",
            args,
        )
        return {model: (int(i), int(o), int(n)) for model, i, o, n in cursor.fetchall()}

    def _insert_sql(self) -> str:
        marks = ", ".join("?" for _ in ROW_COLUMNS)
        return f"INSERT INTO {self.table} ({', '.join(ROW_COLUMNS)}) VALUES ({marks})"


def _since(since: datetime | None) -> tuple[str, tuple[object, ...]]:
    if since is None:
        return "", ()
    return " WHERE at >= ?", (to_micros(since),)


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; use a UTC datetime")
    return (moment - _EPOCH) // _MICROSECOND


def to_values(row: LedgerRow) -> tuple[object, ...]:
    values: list[object] = [getattr(row, field) for field in LedgerRow.__dataclass_fields__]
    values[1] = to_micros(row.time)
    values[-2] = int(row.tokens_estimated)
    values[-1] = None if row.upstream_cost is None else str(row.upstream_cost)
    return tuple(values)


def from_values(values: Sequence[Any]) -> LedgerRow:
    fields = dict(zip(LedgerRow.__dataclass_fields__, values, strict=True))
    fields["time"] = _EPOCH + values[1] * _MICROSECOND
    fields["tokens_estimated"] = bool(fields["tokens_estimated"])
    cost = fields["upstream_cost"]
    fields["upstream_cost"] = None if cost is None else Decimal(cost)
    return LedgerRow(**fields)
