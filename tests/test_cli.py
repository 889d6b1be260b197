"""The command line: validate, start and demo, run as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from farebox.cli import main

FARE = [sys.executable, "-m", "farebox.cli"]

GOOD = """\
wallets:
  base-sepolia: "0x1111111111111111111111111111111111111111"
facilitator: local
upstreams:
  api:
    url: "http://127.0.0.1:9"
routes:
  "GET /data":
    upstream: api
    price: "$0.01"
  "GET /free":
    upstream: api
    price: "$0"
"""


def test_validate_ok(tmp_path: Path, capsys: object) -> None:
    config = tmp_path / "farebox.yaml"
    config.write_text(GOOD)
    result = subprocess.run(
        [*FARE, "validate", "--config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "1 upstream, 2 routes (1 paid, 1 free)" in result.stdout


def test_validate_names_the_bad_place(tmp_path: Path) -> None:
    config = tmp_path / "farebox.yaml"
    config.write_text(GOOD.replace('price: "$0.01"', 'price: "abc"'))
    result = subprocess.run(
        [*FARE, "validate", "--config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert 'routes."GET /data".price: "abc" is not a price like "$0.01"' in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_finds_default_files(tmp_path: Path, monkeypatch: object) -> None:
    (tmp_path / "tollbooth.config.yaml").write_text(GOOD)
    result = subprocess.run([*FARE, "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "tollbooth.config.yaml" in result.stdout
    (tmp_path / "farebox.yaml").write_text(GOOD.replace('"$0.01"', '"$0.02"'))
    result = subprocess.run([*FARE, "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert "farebox.yaml" in result.stdout and "tollbooth" not in result.stdout


def test_validate_without_any_config_says_where_it_looked(tmp_path: Path) -> None:
    result = subprocess.run([*FARE, "validate"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "farebox.yaml" in result.stderr and "tollbooth.config.yaml" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_start_serves_the_config(tmp_path: Path) -> None:
    config = tmp_path / "farebox.yaml"
    config.write_text(GOOD)
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*FARE, "start", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "gateway did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/data", timeout=5).status_code == 402
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "LOCAL TEST LEDGER" in output  # the loud warning for facilitator: local


def test_demo_runs_end_to_end(capsys: object) -> None:
    assert main(["demo"]) == 0
