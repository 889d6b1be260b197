"""The local ledger: test-USDC balances, used nonces and mined transactions, in SQLite.

One SQLite database (a file, or private memory when no path is given) holds the state
the local chain needs. Every change runs inside one `BEGIN IMMEDIATE` transaction
under a process-wide lock, so a nonce is consumed once even when many settles race,
and two `Ledger` objects (or processes) on the same file serialize on SQLite's lock.

Every address on every network starts with `initial_balance` atomic units until it is
first written; no real money exists here.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from farebox.networks import to_caip2

MAX_UINT256 = 2**256 - 1

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS balances (
    network TEXT NOT NULL, address TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (network, address));
CREATE TABLE IF NOT EXISTS authorizations (
    network TEXT NOT NULL, token TEXT NOT NULL, authorizer TEXT NOT NULL, nonce TEXT NOT NULL,
    PRIMARY KEY (network, token, authorizer, nonce));
CREATE TABLE IF NOT EXISTS permit2_nonces (
    network TEXT NOT NULL, owner TEXT NOT NULL, word TEXT NOT NULL, bit INTEGER NOT NULL,
    PRIMARY KEY (network, owner, word, bit));
CREATE TABLE IF NOT EXISTS transactions (
    hash TEXT PRIMARY KEY, network TEXT NOT NULL, block_number INTEGER NOT NULL,
    sender TEXT NOT NULL, target TEXT NOT NULL, calldata TEXT NOT NULL, logs TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class LedgerError(ValueError):
    """A ledger operation that cannot be done; the message says why."""


def normalize_address(address: object) -> str:
    """Checksum an EVM address given in any letter case, or say what was expected."""
    if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
        raise LedgerError(
            f"{address!r} is not an EVM address; expected 0x followed by 40 hex digits"
        )
    return str(to_checksum_address(address.lower()))


def _check_amount(amount: object, what: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_UINT256:
        raise LedgerError(f"{what} must be a whole number of atomic units >= 0, got {amount!r}")
    return amount


@dataclass(frozen=True)
class MinedTransaction:
    """A transaction the local chain executed successfully (reverts are never mined)."""

    hash: str
    network: str
    block_number: int
    sender: str
    target: str
    calldata: str
    logs: list[dict[str, Any]] = field(default_factory=list)


class LedgerView:
    """The ledger inside one open transaction, bound to one network."""

    def __init__(self, conn: sqlite3.Connection, network: str, initial_balance: int) -> None:
        self._conn = conn
        self.network = network
        self._initial_balance = initial_balance
        self._savepoints = 0

    # -- balances ---------------------------------------------------------------

    def balance(self, address: str) -> int:
        row = self._conn.execute(
            "SELECT amount FROM balances WHERE network = ? AND address = ?",
            (self.network, normalize_address(address)),
        ).fetchone()
        return int(row[0]) if row else self._initial_balance

    def set_balance(self, address: str, amount: int) -> int:
        _check_amount(amount, "a balance")
        self._conn.execute(
            "INSERT INTO balances (network, address, amount) VALUES (?, ?, ?) "
            "ON CONFLICT (network, address) DO UPDATE SET amount = excluded.amount",
            (self.network, normalize_address(address), str(amount)),
        )
        return amount

    def credit(self, address: str, amount: int) -> int:
        new = self.balance(address) + _check_amount(amount, "a credit")
        if new > MAX_UINT256:
            raise LedgerError(f"crediting {amount} to {address} would overflow uint256")
        return self.set_balance(address, new)

    def debit(self, address: str, amount: int) -> int:
        current = self.balance(address)
        if _check_amount(amount, "a debit") > current:
            raise LedgerError(f"{address} holds {current} atomic units, cannot debit {amount}")
        return self.set_balance(address, current - amount)

    # -- EIP-3009 authorizations (per token contract, per authorizer) -------------

    def authorization_used(self, token: str, authorizer: str, nonce: bytes) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM authorizations WHERE network = ? AND token = ? AND authorizer = ? "
            "AND nonce = ?",
            (self.network, normalize_address(token), normalize_address(authorizer), nonce.hex()),
        ).fetchone()
        return row is not None

    def use_authorization(self, token: str, authorizer: str, nonce: bytes) -> bool:
        """Mark a nonce used; False when it already was (the primary key decides)."""
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO authorizations (network, token, authorizer, nonce) "
            "VALUES (?, ?, ?, ?)",
            (self.network, normalize_address(token), normalize_address(authorizer), nonce.hex()),
        )
        return cursor.rowcount == 1

    # -- Permit2 unordered nonces (a bitmap of 256-bit words per owner) -----------

    def permit2_bitmap(self, owner: str, word: int) -> int:
        rows = self._conn.execute(
            "SELECT bit FROM permit2_nonces WHERE network = ? AND owner = ? AND word = ?",
            (self.network, normalize_address(owner), str(word)),
        ).fetchall()
        return sum(1 << bit for (bit,) in rows)

    def use_permit2_nonce(self, owner: str, nonce: int) -> bool:
        """Flip the nonce's bit; False when it was already set."""
        cursor = self._conn.execute(
            "INSERT OR IGNORE INTO permit2_nonces (network, owner, word, bit) VALUES (?, ?, ?, ?)",
            (self.network, normalize_address(owner), str(nonce >> 8), nonce & 0xFF),
        )
        return cursor.rowcount == 1

    # -- blocks and receipts ------------------------------------------------------

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo everything inside when it raises (a reverted sub-call)."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")

    def mine(
        self, sender: str, target: str, calldata: bytes, logs: list[dict[str, Any]]
    ) -> MinedTransaction:
        """Put one transaction in its own new block and store its receipt."""
        key = f"block:{self.network}"
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        block = int(row[0]) + 1 if row else 1
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, str(block)),
        )
        preimage = f"{self.network}|{block}|{sender}|{target}|".encode() + calldata
        tx_hash = "0x" + keccak(preimage).hex()
        stamped = [
            {**log, "logIndex": index, "blockNumber": block, "transactionHash": tx_hash}
            for index, log in enumerate(logs)
        ]
        tx = MinedTransaction(
            tx_hash, self.network, block, sender, target, "0x" + calldata.hex(), stamped
        )
        self._conn.execute(
            "INSERT INTO transactions "
            "(hash, network, block_number, sender, target, calldata, logs) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tx.hash, tx.network, block, sender, target, tx.calldata, json.dumps(stamped)),
        )
        return tx


class Ledger:
    """Balances and nonces of the local test chain; SQLite file or in-memory; thread-safe."""

    def __init__(self, path: str | None = None, initial_balance: int = 100_000_000) -> None:
        self.path = path
        self.initial_balance = _check_amount(initial_balance, "initial_balance")
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path or ":memory:", timeout=30.0, isolation_level=None, check_same_thread=False
        )
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._conn.executescript(_SCHEMA)

    @contextmanager
    def transaction(self, network: str, *, commit: bool = True) -> Iterator[LedgerView]:
        """One atomic unit of work on `network`; rolled back on error or when commit=False."""
        caip2 = to_caip2(network)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield LedgerView(self._conn, caip2, self.initial_balance)
                self._conn.execute("COMMIT" if commit else "ROLLBACK")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def balance(self, network: str, address: str) -> int:
        with self.transaction(network, commit=False) as view:
            return view.balance(address)

    def fund(self, network: str, address: str, amount: int) -> int:
        """Add test USDC to an address; returns the new balance."""
        with self.transaction(network) as view:
            return view.credit(address, amount)

    def set_balance(self, network: str, address: str, amount: int) -> int:
        with self.transaction(network) as view:
            return view.set_balance(address, amount)

    def authorization_used(self, network: str, token: str, authorizer: str, nonce: bytes) -> bool:
        with self.transaction(network, commit=False) as view:
            return view.authorization_used(token, authorizer, nonce)

    def permit2_nonce_used(self, network: str, owner: str, nonce: int) -> bool:
        with self.transaction(network, commit=False) as view:
            return bool(view.permit2_bitmap(owner, nonce >> 8) >> (nonce & 0xFF) & 1)

    def mined_transaction(self, tx_hash: str) -> MinedTransaction | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT hash, network, block_number, sender, target, calldata, logs "
                "FROM transactions WHERE hash = ?",
                (tx_hash.lower(),),
            ).fetchone()
        if row is None:
            return None
        tx_hash, network, block, sender, target, calldata, logs = row
        return MinedTransaction(tx_hash, network, block, sender, target, calldata, json.loads(logs))

    def facilitator_address(self) -> str:
        """The facilitator's address, generated once per ledger and kept with it.

        Upto authorizations name the facilitator that may settle them, so the address
        must survive restarts on the same file. No key is kept: the local chain needs
        no signature from the facilitator.
        """
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('facilitator_address', ?)",
                (Account.create().address,),
            )
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'facilitator_address'"
            ).fetchone()
        return str(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
