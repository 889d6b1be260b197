"""Helpers for the accounting end-to-end tests: configs, a gateway subprocess, a facilitator
proxy that never answers /settle, reading the ledger back, and scraping /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from farebox.stores.ledger import POSTGRES_SCHEMES, LedgerRow, PendingSettlement, open_ledger
from farebox.stores.ledger_backend import DEFAULT_TABLE

FAREBOX = [sys.executable, "-m", "farebox.cli"]
START_BALANCE = 100_000_000  # what the local facilitator credits a new address ($100)
WAIT_SECONDS = 60.0  # a bound on every wait below, so a broken feature fails, never hangs
T = TypeVar("T")


# --- configs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    """Where the test upstream, the fake LLM and the local facilitator listen."""

    upstream: str
    llm: str
    facilitator: str


def config_text(
    routes: str,
    servers: Servers,
    merchant: str,
    *,
    ledger: str | None = None,
    facilitator: str | None = None,
    metrics: bool = False,
) -> str:
    """A gateway config: upstreams `api` (test upstream) and `openai` (fake LLM), then `routes`.

    ledger=None leaves stores.ledger unset: the ledger is the default file next to the config.
    """
    text = f'wallets:\n  base-sepolia: "{merchant}"\n'
    text += f'facilitator: "{facilitator or servers.facilitator}"\n'
    if metrics:
        text += "gateway:\n  metrics: true\n"
    if ledger is not None:
        text += f'stores:\n  ledger: "{ledger}"\n'
    text += f'upstreams:\n  api:\n    url: "{servers.upstream}"\n'
    text += f'  openai:\n    url: "{servers.llm}"\n'
    return text + "routes:\n" + routes


# --- the ledger, read back -----------------------------------------------------------------


async def ledger_rows(location: str) -> list[LedgerRow]:
    ledger = await open_ledger(location)
    try:
        return await ledger.rows()
    finally:
        await ledger.close()


async def pending_settlements(location: str) -> list[PendingSettlement]:
    ledger = await open_ledger(location)
    try:
        return await ledger.pending_settlements()
    finally:
        await ledger.close()


def rows_by_payer(rows: list[LedgerRow]) -> dict[str, LedgerRow]:
    """Each test request pays from a fresh account: its address names its row."""
    by_payer: dict[str, LedgerRow] = {}
    for row in rows:
        assert row.payer is not None, row
        assert row.payer.lower() not in by_payer, f"two rows for payer {row.payer}"
        by_payer[row.payer.lower()] = row
    return by_payer


async def wait_until(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll `check` until it returns something, for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = await check()
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


# --- /metrics --------------------------------------------------------------------------------

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


# --- a facilitator that never settles --------------------------------------------------------


@dataclass
class HangingProxy:
    """Forwards every facilitator call to `target`, except /settle, which it holds open."""

    target: str
    settle_seen: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.request(
                    request.method,
                    f"{self.target}{request.url.path}",
                    content=await request.body(),
                    headers={"content-type": request.headers.get("content-type", "")},
                )
            return Response(answer.content, answer.status_code, media_type="application/json")

        async def hang(request: Request) -> Response:
            await request.body()
            self.settle_seen.set()
            while not self.release.is_set():  # released at teardown, so the server can stop
                await asyncio.sleep(0.05)
            return Response(b'{"error": "released"}', 503, media_type="application/json")

        return Starlette(
            routes=[
                Route("/settle", hang, methods=["POST"]),
                Route("/{rest:path}", forward, methods=["GET", "POST"]),
            ]
        )


# --- `farebox start` as a subprocess ---------------------------------------------------------

LOCAL_ANY_PORT = ("--host", "127.0.0.1", "--port", "0")
LISTENING = re.compile(r"farebox listening on (http://\S+)")


class GatewayProcess:
    """`python -m farebox.cli start --config FILE` on a free port, logs to a file.

    Always used as a context manager: the process is killed on the way out, whatever happened.
    """

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> GatewayProcess:
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                [*FAREBOX, "start", "--config", str(self.config), *LOCAL_ANY_PORT],
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=self.config.parent,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

    async def ready(self) -> str:
        """Wait until the gateway answers /health (its startup, retries included, is done)."""
        self.url = await wait_until(self._listening_url, f"the gateway to start (log: {self.log})")
        async with httpx.AsyncClient(timeout=WAIT_SECONDS) as client:
            response = await client.get(f"{self.url}/health")
        assert response.status_code == 200, response.text
        return self.url

    async def _listening_url(self) -> str | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the gateway exited ({self.process.returncode}):\n{self.text()}")
        match = LISTENING.search(self.text())
        return match.group(1) if match else None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def json_lines(self) -> list[dict[str, Any]]:
        """Every log line that is a JSON object (the gateway's own logging)."""
        entries = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, exactly like a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown (the ledger is flushed and closed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=WAIT_SECONDS)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FAREBOX, *args], capture_output=True, text=True, cwd=cwd, timeout=WAIT_SECONDS
    )


async def set_pending(location: str, **values: int) -> None:
    """Change retry data of every pending settlement in place (expires_at, lease_until):
    how a test makes an authorization run out, or a crashed instance's lease end."""
    assignments = ", ".join(f"{name} = {int(value)}" for name, value in values.items())
    statement = f"UPDATE {DEFAULT_TABLE}_pending SET {assignments}"
    if location.startswith(POSTGRES_SCHEMES):
        conn = await asyncpg.connect(location)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()
        return
    with contextlib.closing(sqlite3.connect(location)) as conn, conn:
        conn.execute(statement)
