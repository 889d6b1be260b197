"""`farebox dev` as a real process: it serves, restarts on config and hook changes, prints
config errors without dying, and serves again once they are fixed.

Every wait is bounded; the process group is killed at the end whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from x402.http.utils import decode_payment_required_header

from farebox.config.loader import parse_config
from farebox.devloop import Watched, describe, local_address, named_files, url_of, watch_roots

WAIT = 60.0  # seconds: generous, a restart starts a Python process

CONFIG = """\
wallets:
  base-sepolia: "0x1111111111111111111111111111111111111111"
facilitator: local
upstreams:
  api:
    url: "http://127.0.0.1:9"
routes:
  "GET /paid":
    upstream: api
    price: "{price}"
  "GET /hooked":
    upstream: api
    price: "$0.01"
    hooks:
      onPriceResolved: {hook}
"""

HOOK = "def hook(ctx):\n    return {price!r}\n"


class Dev:
    """A running `farebox dev` and everything it printed."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_output(self, text: str, after: int = 0) -> int:
        """Wait until `text` is printed (after line `after`); the index of the line after it."""

        def found() -> int | None:
            for index, line in enumerate(self.lines[after:], after):
                if text in line:
                    return index + 1
            return None

        return until(found, f"output {text!r}", self)

    def mark(self) -> int:
        return len(self.lines)

    def amount(self, path: str) -> int | None:
        """The amount the 402 at `path` asks for; None while nothing serves."""
        try:
            response = httpx.get(f"{self.url}{path}", timeout=2)
        except httpx.TransportError:
            return None
        if response.status_code != 402:
            return None
        required = decode_payment_required_header(response.headers["payment-required"])
        return int(required.accepts[0].amount)

    def serving(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False


def until(condition: Callable[[], object], what: str, dev: Dev) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value is not None and value is not False:
            return value
        assert dev.process.poll() is None, f"farebox dev died:\n{dev.output}"
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}; farebox dev printed:\n{dev.output}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "price.py").write_text(HOOK.format(price="$0.04"))
    write(tmp_path, price="$0.01")
    return tmp_path


def write(site: Path, *, price: str, hook: str = "hooks/price.py") -> None:
    (site / "farebox.yaml").write_text(CONFIG.format(price=price, hook=hook))


@pytest.fixture
def dev(site: Path) -> Iterator[Dev]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "farebox.devloop"),
            *("--config", str(site / "farebox.yaml"), "--host", "127.0.0.1", "--port", str(port)),
        ],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the gateway child included
    )
    running = Dev(process, f"http://127.0.0.1:{port}")
    try:
        yield running
    finally:
        # The whole group: farebox dev and its gateway, whatever state the test left them in.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)


def test_dev_restarts_on_changes_and_survives_config_errors(site: Path, dev: Dev) -> None:
    until(dev.serving, "the gateway to serve", dev)
    dev.wait_for_output(f"serving on {dev.url}")
    assert "watching farebox.yaml, hooks/price.py" in dev.output
    assert dev.amount("/paid") == 10_000
    assert dev.amount("/hooked") == 40_000

    # A route's price changes: the config is reloaded.
    mark = dev.mark()
    write(site, price="$0.03")
    until(lambda: dev.amount("/paid") == 30_000, "the new price", dev)
    dev.wait_for_output("farebox.yaml changed; restarting", mark)

    # A hook file changes: the gateway imports it afresh.
    mark = dev.mark()
    (site / "hooks" / "price.py").write_text(HOOK.format(price="$0.05"))
    until(lambda: dev.amount("/hooked") == 50_000, "the hook's new price", dev)
    dev.wait_for_output("hooks/price.py changed; restarting", mark)

    # A broken config: the error is printed, nothing serves, farebox dev keeps watching.
    mark = dev.mark()
    write(site, price="three cents")
    after = dev.wait_for_output("config error:", mark)
    dev.wait_for_output('routes."GET /paid".price', after)
    dev.wait_for_output("not serving until farebox.yaml is fixed", after)
    until(lambda: not dev.serving(), "the gateway to stop", dev)
    assert dev.process.poll() is None

    # Fixed: it serves again.
    mark = dev.mark()
    write(site, price="$0.02")
    until(lambda: dev.amount("/paid") == 20_000, "serving again", dev)
    dev.wait_for_output(f"serving on {dev.url}", mark)

    # A hook file that does not exist yet: the gateway's own error, then it comes back
    # when the file is created.
    mark = dev.mark()
    write(site, price="$0.02", hook="hooks/later/new.py")
    after = dev.wait_for_output('"hooks/later/new.py" does not exist', mark)
    dev.wait_for_output("the gateway exited (code 1)", after)
    assert dev.process.poll() is None
    new_hook = site / "hooks" / "later" / "new.py"
    new_hook.parent.mkdir()
    new_hook.write_text(HOOK.format(price="$0.06"))
    until(lambda: dev.amount("/hooked") == 60_000, "the new hook", dev)

    # SIGTERM stops farebox dev and its gateway.
    dev.process.send_signal(signal.SIGTERM)
    assert dev.process.wait(timeout=WAIT) == 0
    assert not dev.serving()
    assert "farebox dev: stopped" in dev.output


def test_dev_without_a_config_file_exits_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "farebox.devloop"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 1
    assert "no config file" in result.stderr


# --- the pure parts -------------------------------------------------------------


def test_named_files_are_every_hook_and_pricing_function(tmp_path: Path) -> None:
    text = """\
wallets: {base-sepolia: "0x1111111111111111111111111111111111111111"}
facilitator: local
upstreams: {api: {url: "http://127.0.0.1:9"}}
hooks: {onRequest: global.py}
routes:
  "GET /a":
    upstream: api
    price: {fn: pricing/a.py}
    hooks: {onResponse: /abs/hook.py}
  "GET /b":
    upstream: api
    price: "$0.01"
    hooks: {onRequest: ../up.py}
"""
    loaded = parse_config(text, base_dir=tmp_path)
    assert named_files(loaded) == {
        tmp_path / "global.py",
        tmp_path / "pricing" / "a.py",
        Path("/abs/hook.py"),
        tmp_path.parent / "up.py",
    }


def test_watch_roots_are_existing_folders(tmp_path: Path) -> None:
    (tmp_path / "hooks").mkdir()
    files = [tmp_path / "farebox.yaml", tmp_path / "hooks" / "a.py", tmp_path / "x" / "y" / "b.py"]
    assert watch_roots(files) == [tmp_path, tmp_path / "hooks"]


def test_only_watched_files_and_their_missing_folders_count(tmp_path: Path) -> None:
    import watchfiles

    watched = Watched(frozenset({tmp_path / "farebox.yaml", tmp_path / "x" / "y" / "b.py"}))
    change = watchfiles.Change.modified
    assert watched(change, str(tmp_path / "farebox.yaml"))
    assert watched(change, str(tmp_path / "x"))  # created on the way to b.py
    assert watched(change, str(tmp_path / "x" / "y" / "b.py"))
    assert not watched(change, str(tmp_path / "farebox.db"))  # the ledger, say
    assert not watched(change, str(tmp_path / "x" / "other.py"))


def test_describe_names_paths_from_the_config_folder(tmp_path: Path) -> None:
    import watchfiles

    changes = {
        (watchfiles.Change.modified, str(tmp_path / "hooks" / "a.py")),
        (watchfiles.Change.added, str(tmp_path / "farebox.yaml")),
        (watchfiles.Change.deleted, "/elsewhere/p.py"),
    }
    assert describe(changes, tmp_path) == (
        "/elsewhere/p.py deleted, farebox.yaml changed, hooks/a.py changed"
    )


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("0.0.0.0", 3000, "http://127.0.0.1:3000"),
        ("", 3000, "http://127.0.0.1:3000"),
        ("::", 80, "http://[::1]:80"),
        ("10.1.2.3", 8080, "http://10.1.2.3:8080"),
    ],
)
def test_the_gateway_is_reached_locally(host: str, port: int, url: str) -> None:
    address = local_address(host, port)
    assert address is not None
    assert url_of(address) == url


def test_a_port_the_os_picks_is_not_probed() -> None:
    assert local_address("127.0.0.1", 0) is None
