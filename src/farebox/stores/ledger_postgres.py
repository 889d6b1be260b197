"""The ledger in PostgreSQL, for deployments where several gateway instances share it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from farebox.stores.ledger_backend import (
    DEFAULT_TABLE,
    KEPT_UNLESS_GIVEN,
    RESOLVED_COLUMNS,
    ROW_COLUMNS,
    LedgerError,
)
from farebox.stores.ledger_rows import LedgerRow, Outcome, PendingSettlement, Resolution

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,50}")
_POOL_SIZE = 4  # the batch writer, pending writes and a few concurrent resolves


class PostgresLedgerBackend:
    def __init__(self, url: str, table: str = DEFAULT_TABLE, schema: str | None = None) -> None:
        for what, name in (("table", table), ("schema", schema)):
            if name is not None and not _IDENTIFIER.fullmatch(name):
                raise LedgerError(
                    f"{name!r} is not a usable ledger {what} name; use lower-case letters, "
                    "digits and _ (like farebox_ledger)"
                )
        self.url = url
        self.schema = schema
        prefix = f"{schema}." if schema else ""
        self.table = f"{prefix}{table}"
        self.pending_table = f"{prefix}{table}_pending"
        self._plain_table = table
        self._pool: Any = None

    @property
    def description(self) -> str:
        return f"PostgreSQL ledger {redact_url(self.url)} (table {self.table})"

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=_POOL_SIZE)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise LedgerError(
                f"cannot connect to the {self.description}: {exc}; check stores.ledger "
                "(postgresql://user:password@host:5432/database) and that the server is up"
            ) from exc
        try:
            await self._create_tables()
        except asyncpg.PostgresError as exc:
            await self.close()
            raise LedgerError(
                f"cannot create the ledger tables in the {self.description}: {exc}; the "
                "user in stores.ledger needs CREATE rights on the database (or schema)"
            ) from exc

    async def _create_tables(self) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # Instances starting together must not race on CREATE TABLE IF NOT EXISTS.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.table)
            if self.schema:
                await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            await conn.execute(self._schema())

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def upsert(self, rows: Sequence[LedgerRow]) -> None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in ROW_COLUMNS[1:])
        insert = f"{self._insert_sql()} ON CONFLICT (request_id) DO UPDATE SET {updates}"
        async with self._connection() as conn, conn.transaction():
            await conn.executemany(insert, [to_values(row) for row in rows])
            await conn.execute(
                f"DELETE FROM {self.pending_table} WHERE request_id = ANY($1::text[])",
                [row.request_id for row in rows],
            )

    async def insert_pending(self, pendings: Sequence[PendingSettlement]) -> None:
        async with self._connection() as conn, conn.transaction():
            await conn.executemany(self._insert_sql(), [to_values(p.row) for p in pendings])
            await conn.executemany(
                f"INSERT INTO {self.pending_table} (request_id, payment_header, "
                "requirements_json, expires_at, lease_until) VALUES ($1, $2, $3, $4, $5)",
                [p.retry_values() for p in pendings],
            )

    async def claim(self, request_id: str, lease_until: int, now: int, ignore_lease: bool) -> bool:
        async with self._connection() as conn:
            status = await conn.execute(
                f"UPDATE {self.pending_table} SET lease_until = $1 "
                "WHERE request_id = $2 AND (lease_until <= $3 OR $4)",
                lease_until,
                request_id,
                now,
                ignore_lease,
            )
        return bool(status == "UPDATE 1")

    async def resolve(self, request_id: str, resolution: Resolution) -> bool:
        given = len(RESOLVED_COLUMNS)
        sets = [f"{c} = ${i}" for i, c in enumerate(RESOLVED_COLUMNS, 1)]
        sets += [f"{c} = COALESCE(${i}, {c})" for i, c in enumerate(KEPT_UNLESS_GIVEN, given + 1)]
        n = given + len(KEPT_UNLESS_GIVEN)
        values = [getattr(resolution, c) for c in (*RESOLVED_COLUMNS, *KEPT_UNLESS_GIVEN)]
        async with self._connection() as conn, conn.transaction():
            status = await conn.execute(
                f"UPDATE {self.table} SET {', '.join(sets)} "
                f"WHERE request_id = ${n + 1} AND outcome = ${n + 2}",
                *values,
                request_id,
                Outcome.PENDING.value,
            )
            if status != "UPDATE 1":
                return False
            await conn.execute(
                f"DELETE FROM {self.pending_table} WHERE request_id = $1", request_id
            )
            return True

    async def pending(self) -> list[PendingSettlement]:
        columns = ", ".join(f"r.{c}" for c in ROW_COLUMNS)
        async with self._connection() as conn:
            records = await conn.fetch(
                f"SELECT {columns}, p.payment_header, p.requirements_json, p.expires_at, "
                f"p.lease_until FROM {self.pending_table} p JOIN {self.table} r "
                "ON r.request_id = p.request_id ORDER BY r.at, r.request_id"
            )
        n = len(ROW_COLUMNS)
        return [
            PendingSettlement(
                from_values(tuple(rec)[:n]), rec[n], rec[n + 1], rec[n + 2], rec[n + 3]
            )
            for rec in records
        ]

    async def rows(self, since: datetime | None) -> list[LedgerRow]:
        where, args = _since(since)
        async with self._connection() as conn:
            records = await conn.fetch(
                f"SELECT {', '.join(ROW_COLUMNS)} FROM {self.table}{where} ORDER BY at, request_id",
                *args,
            )
        return [from_values(tuple(rec)) for rec in records]

    async def token_sums(
        self, since: datetime | None, include_estimated: bool
    ) -> dict[str, tuple[int, int, int]]:
        where, args = _since(since)
        where += " AND " if where else " WHERE "
        where += "model IS NOT NULL AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL"
        if not include_estimated:
            where += " AND NOT tokens_estimated"
        async with self._connection() as conn:
            records = await conn.fetch(
                f"SELECT model, SUM(input_tokens), SUM(output_tokens), COUNT(*) "
                f"FROM {self.table}{where} GROUP BY model",
                *args,
            )
        return {rec[0]: (int(rec[1]), int(rec[2]), int(rec[3])) for rec in records}

    def _connection(self) -> Any:
        if self._pool is None:
            raise LedgerError(f"the {self.description} is not open; call await ledger.open()")
        return self._pool.acquire()

    def _schema(self) -> str:
        t, p, name = self.table, self.pending_table, self._plain_table
        return f"""
        CREATE TABLE IF NOT EXISTS {t} (
            request_id TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL, route TEXT NOT NULL,
            outcome TEXT NOT NULL, quoted BIGINT NOT NULL, charged BIGINT NOT NULL,
            model TEXT, payer TEXT, scheme TEXT, network TEXT, settlement TEXT,
            reason TEXT, tx TEXT, status INTEGER,
            input_tokens BIGINT, output_tokens BIGINT, cached_input_tokens BIGINT,
            tokens_estimated BOOLEAN NOT NULL DEFAULT FALSE, upstream_cost NUMERIC);
        CREATE INDEX IF NOT EXISTS {name}_at ON {t} (at);
        CREATE TABLE IF NOT EXISTS {p} (
            request_id TEXT PRIMARY KEY REFERENCES {t} (request_id) ON DELETE CASCADE,
            payment_header TEXT NOT NULL, requirements_json TEXT NOT NULL,
            expires_at BIGINT NOT NULL, lease_until BIGINT NOT NULL);
        """

    def _insert_sql(self) -> str:
        marks = ", ".join(f"${i}" for i in range(1, len(ROW_COLUMNS) + 1))
        return f"INSERT INTO {self.table} ({', '.join(ROW_COLUMNS)}) VALUES ({marks})"


def _since(since: datetime | None) -> tuple[str, tuple[object, ...]]:
    if since is None:
        return "", ()
    return " WHERE at >= $1", (since,)


def to_values(row: LedgerRow) -> tuple[object, ...]:
    return tuple(getattr(row, field) for field in LedgerRow.__dataclass_fields__)


def from_values(values: Sequence[Any]) -> LedgerRow:
    return LedgerRow(**dict(zip(LedgerRow.__dataclass_fields__, values, strict=True)))


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    hostport = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}***@{hostport}"))
