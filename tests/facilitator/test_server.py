"""run_facilitator: the banner, and a real foreground server in a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from farebox.facilitator import build_local_facilitator
from farebox.facilitator.server import banner

from .payments import new_account


def test_banner_says_loudly_that_no_real_money_moves(tmp_path: Path) -> None:
    facilitator = build_local_facilitator(str(tmp_path / "l.db"), initial_balance=2_500_000)
    text = banner(facilitator, "http://127.0.0.1:4020")
    assert "LOCAL TEST LEDGER - NO REAL MONEY MOVES" in text
    assert "http://127.0.0.1:4020" in text
    assert f"SQLite file {tmp_path / 'l.db'}" in text
    assert "$2.50 of test USDC" in text
    assert facilitator.address in text
    assert "in memory" in banner(build_local_facilitator(), "http://x")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_facilitator_serves_until_interrupted(tmp_path: Path) -> None:
    port, db = _free_port(), str(tmp_path / "served.db")
    code = (
        "from farebox.facilitator import run_facilitator; "
        f"run_facilitator(port={port}, db={db!r}, initial_balance=5)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(6)]
        assert "LOCAL TEST LEDGER - NO REAL MONEY MOVES" in "".join(lines)
        url = f"http://127.0.0.1:{port}"
        address = new_account().address
        balance = _get_when_up(child, f"{url}/balances/{address}")
        assert balance["balance"] == "5"
        kinds = httpx.get(f"{url}/supported", timeout=5).json()["kinds"]
        assert {kind["scheme"] for kind in kinds} >= {"exact"}
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    assert Path(db).exists()


def _get_when_up(child: subprocess.Popen[str], url: str) -> dict[str, str]:
    """GET url, retrying while the child's uvicorn is still starting (bounded)."""
    for _ in range(400):
        try:
            body: dict[str, str] = httpx.get(url, timeout=5).json()
            return body
        except httpx.TransportError:
            assert child.poll() is None, "the facilitator exited before serving"
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")
