"""The ledger alone: balances, nonces, persistence, atomicity."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farebox.facilitator import Ledger, LedgerError, LocalFacilitator

from .payments import BASE, BASE_SEPOLIA, new_account

TOKEN = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"


def test_new_addresses_start_with_the_initial_balance_per_network() -> None:
    ledger = Ledger(initial_balance=5)
    address = new_account().address
    ledger.fund(BASE, address, 10)
    assert ledger.balance(BASE, address) == 15
    assert ledger.balance("base-sepolia", address) == 5
    assert ledger.balance(BASE, address.lower()) == 15  # any letter case, one account


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**30), max_size=8))
def test_fund_returns_initial_plus_everything_added(amounts: list[int]) -> None:
    ledger = Ledger()
    address = new_account().address
    balances = [ledger.fund(BASE_SEPOLIA, address, amount) for amount in amounts]
    assert balances == [100_000_000 + sum(amounts[: i + 1]) for i in range(len(amounts))]


@pytest.mark.parametrize(
    ("network", "address", "amount", "expected"),
    [
        ("base", "0x12", 1, "not an EVM address"),
        ("base", "0x" + "g" * 40, 1, "not an EVM address"),
        ("base", "0x" + "1" * 40, -1, "atomic units >= 0"),
        ("base", "0x" + "1" * 40, 1.5, "atomic units >= 0"),
        ("base", "0x" + "1" * 40, 2**256, "atomic units >= 0"),
        ("solana", "0x" + "1" * 40, 1, "not a supported network"),
    ],
)
def test_fund_refuses_what_is_not_an_account_amount_or_network(
    network: str, address: str, amount: object, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        Ledger().fund(network, address, amount)  # type: ignore[arg-type]


def test_debit_beyond_the_balance_is_refused_and_rolled_back() -> None:
    ledger = Ledger(initial_balance=10)
    address = new_account().address
    with (
        pytest.raises(LedgerError, match="holds 11 atomic units, cannot debit 12"),
        ledger.transaction(BASE) as view,
    ):
        view.credit(address, 1)
        view.debit(address, 12)
    assert ledger.balance(BASE, address) == 10


def test_sqlite_file_persists_across_ledger_instances(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.db")
    address, nonce = new_account().address, b"\x07" * 32
    first = Ledger(path)
    first.fund(BASE_SEPOLIA, address, 42)
    with first.transaction(BASE_SEPOLIA) as view:
        assert view.use_authorization(TOKEN, address, nonce)
        assert view.use_permit2_nonce(address, 300)
        mined = view.mine(address, TOKEN, b"\x01\x02", [{"address": TOKEN, "topics": []}])
    facilitator_address = first.facilitator_address()
    first.close()

    second = Ledger(path)
    assert second.balance(BASE_SEPOLIA, address) == 100_000_042
    assert second.authorization_used(BASE_SEPOLIA, TOKEN, address, nonce)
    assert not second.authorization_used(BASE, TOKEN, address, nonce)
    assert second.permit2_nonce_used(BASE_SEPOLIA, address, 300)
    assert not second.permit2_nonce_used(BASE_SEPOLIA, address, 301)
    assert second.facilitator_address() == facilitator_address
    assert second.mined_transaction(mined.hash) == mined
    second.close()


def test_two_live_instances_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    one, two = Ledger(path), Ledger(path)
    address = new_account().address
    one.fund(BASE, address, 1)
    two.fund(BASE, address, 2)
    assert one.balance(BASE, address) == two.balance(BASE, address) == 100_000_003
    assert LocalFacilitator(one).address == LocalFacilitator(two).address


def test_in_memory_ledgers_are_separate() -> None:
    address = new_account().address
    one, two = Ledger(), Ledger()
    one.fund(BASE, address, 1)
    assert two.balance(BASE, address) == 100_000_000
    assert one.facilitator_address() != two.facilitator_address()


@pytest.mark.parametrize("path", [None, "file"])
def test_a_nonce_is_used_once_under_concurrent_transactions(
    tmp_path: Path, path: str | None
) -> None:
    ledger = Ledger(str(tmp_path / "race.db") if path else None)
    owner, nonce = new_account().address, b"\x01" * 32
    start = threading.Barrier(20)
    wins: list[bool] = []

    def race() -> None:
        start.wait()
        with ledger.transaction(BASE) as view:
            used = view.authorization_used(TOKEN, owner, nonce)
            won = not used and view.use_authorization(TOKEN, owner, nonce)
            if won:
                view.debit(owner, 1)
            wins.append(won)

    threads = [threading.Thread(target=race) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wins.count(True) == 1
    assert ledger.balance(BASE, owner) == 100_000_000 - 1


def test_savepoint_undoes_only_the_failed_part() -> None:
    ledger = Ledger()
    address = new_account().address
    with ledger.transaction(BASE) as view:
        view.credit(address, 1)
        with pytest.raises(RuntimeError), view.savepoint():
            view.credit(address, 100)
            raise RuntimeError("sub-call reverted")
    assert ledger.balance(BASE, address) == 100_000_001


def test_read_only_transaction_leaves_no_trace() -> None:
    ledger = Ledger()
    address = new_account().address
    with ledger.transaction(BASE, commit=False) as view:
        view.credit(address, 5)
        assert view.balance(address) == 100_000_005
    assert ledger.balance(BASE, address) == 100_000_000


def test_blocks_count_up_per_network() -> None:
    ledger = Ledger()
    with ledger.transaction(BASE) as view:
        first = view.mine(TOKEN, TOKEN, b"", [])
    with ledger.transaction(BASE) as view:
        second = view.mine(TOKEN, TOKEN, b"", [])
    with ledger.transaction(BASE_SEPOLIA) as view:
        other = view.mine(TOKEN, TOKEN, b"", [])
    assert (first.block_number, second.block_number, other.block_number) == (1, 2, 1)
    assert len({first.hash, second.hash, other.hash}) == 3
