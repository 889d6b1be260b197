"""Where the ledger lives, opening it, and what a row accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from farebox.stores.ledger import (
    LedgerError,
    LedgerRow,
    ledger_location,
    new_request_id,
    open_ledger,
    pseudonymous_payer,
)
from farebox.stores.ledger_postgres import PostgresLedgerBackend, redact_url
from farebox.stores.ledger_sqlite import SqliteLedgerBackend

from .postgres import POSTGRES_URL, fresh_schema
from .rows import T0, FakeUsage, make_row

CONFIG_DIR = Path("/srv/farebox")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "/srv/farebox/farebox-ledger.db"),
        ("  ", "/srv/farebox/farebox-ledger.db"),
        ("data/ledger.db", "/srv/farebox/data/ledger.db"),
        ("/var/lib/farebox/l.db", "/var/lib/farebox/l.db"),
        ("sqlite:///rel.db", "/srv/farebox/rel.db"),
        ("sqlite:////abs/l.db", "/abs/l.db"),
        ("sqlite://", ":memory:"),
        (":memory:", ":memory:"),
        ("postgresql://u:p@db:5432/farebox", "postgresql://u:p@db:5432/farebox"),
        ("postgres://db/farebox", "postgres://db/farebox"),
    ],
)
def test_ledger_location(setting: str | None, expected: str) -> None:
    assert ledger_location(setting, CONFIG_DIR) == expected


def test_an_unknown_url_scheme_says_what_would_be_right() -> None:
    with pytest.raises(LedgerError) as info:
        ledger_location("mysql://root@db/farebox", CONFIG_DIR)
    message = str(info.value)
    assert message.startswith('stores.ledger: "mysql://..." is not a ledger location')
    assert "postgresql://" in message and "root" not in message


async def test_open_ledger_picks_the_engine_from_the_location(tmp_path: Path) -> None:
    ledger = await open_ledger(str(tmp_path / "l.db"))
    try:
        assert isinstance(ledger.backend, SqliteLedgerBackend)
        ledger.record(make_row())
    finally:
        await ledger.close()
    assert (tmp_path / "l.db").exists()

    async with fresh_schema() as schema:
        ledger = await open_ledger(POSTGRES_URL, table=f"{schema}_t")
        try:
            assert isinstance(ledger.backend, PostgresLedgerBackend)
            ledger.record(row := make_row())
            await ledger.flush()
            assert await ledger.rows() == [row]
        finally:
            await ledger.close()
            await _drop_tables(f"{schema}_t")


async def _drop_tables(table: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    await conn.execute(f"DROP TABLE IF EXISTS {table}_pending, {table}")
    await conn.close()


async def test_an_in_memory_ledger_works(tmp_path: Path) -> None:
    ledger = await open_ledger(":memory:")
    ledger.record(row := make_row())
    await ledger.flush()
    assert await ledger.rows() == [row]
    await ledger.close()


async def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match=r"directory .*nowhere does not exist; create it"):
        await open_ledger(str(tmp_path / "nowhere" / "l.db"))


async def test_an_unreachable_postgres_names_it_without_the_password() -> None:
    with pytest.raises(LedgerError) as info:
        await open_ledger("postgresql://farebox:s3cret@127.0.0.1:1/farebox")
    message = str(info.value)
    assert "cannot connect to the PostgreSQL ledger postgresql://farebox:***@127.0.0.1:1" in message
    assert "s3cret" not in message and "check stores.ledger" in message


def test_redact_url() -> None:
    assert redact_url("postgresql://u:pw@h:5432/d?x=1") == "postgresql://u:***@h:5432/d?x=1"
    assert redact_url("postgresql://h/d") == "postgresql://h/d"


def test_bad_table_names_are_refused() -> None:
    with pytest.raises(LedgerError, match="not a usable ledger table name"):
        PostgresLedgerBackend(POSTGRES_URL, table="x; DROP TABLE y")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time": datetime(2026, 1, 1)}, "must be UTC and timezone-aware"),
        ({"time": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))}, "must be UTC"),
        ({"quoted": -1}, "quoted must be USDC atomic units"),
        ({"charged": 1.5}, "charged must be USDC atomic units"),
        ({"charged": True}, "charged must be USDC atomic units"),
        ({"input_tokens": -3}, "input_tokens must be a token count"),
        ({"upstream_cost": 0.1}, "upstream_cost must be a Decimal of USD"),
        ({"upstream_cost": Decimal("NaN")}, "upstream_cost must be a Decimal"),
        ({"outcome": "paid"}, "'paid' is not a ledger outcome; use one of: settled, not-settled"),
        ({"request_id": ""}, "needs a request_id"),
    ],
)
def test_a_row_refuses_bad_values(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_row(**change)


def test_with_usage_copies_the_token_counts() -> None:
    row = LedgerRow(request_id="r", time=T0, route="POST /x", outcome="settled", quoted=1)
    tokens = row.with_usage(FakeUsage(10, 5, cached_input_tokens=2, estimated=True))
    assert (tokens.input_tokens, tokens.output_tokens, tokens.cached_input_tokens) == (10, 5, 2)
    assert tokens.tokens_estimated is True
    assert row.with_usage(None) is row


def test_pseudonymous_payer_is_stable_keyed_and_case_blind() -> None:
    address = "0x" + "aB" * 20
    first = pseudonymous_payer(address, b"key-1")
    assert first == pseudonymous_payer(address.lower(), b"key-1")
    assert first != pseudonymous_payer(address, b"key-2")
    assert first.startswith("hmac:") and address.lower()[2:] not in first


def test_request_ids_are_unique() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000


def test_rows_carry_utc_times() -> None:
    assert make_row(time=datetime.now(UTC)).time.tzinfo is UTC
