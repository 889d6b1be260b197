"""Both load generators count every status, and paid runs never reuse a payment header."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.load.aiohttp_gen import OUT_OF_HEADERS, drive
from bench.load.spec import LoadResult, LoadSpec, percentile
from bench.load.wrk import parse_wrk_output, run_wrk, whole_seconds, wrk_script
from farebox.serving import BackgroundServer


class Recorder:
    """Answers `status` (500 for paths starting /fail) and records every payment header."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.headers: list[str] = []
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.paths[scope["path"]] += 1
        for name, value in scope["headers"]:
            if name == b"payment-signature":
                self.headers.append(value.decode())
        status = 500 if scope["path"].startswith("/fail") else self.status
        headers = [(b"content-length", b"2")]  # one write: no delayed-ACK stalls
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})


def spec(url: str, expect: int = 200, headers: tuple[str, str] | None = None) -> LoadSpec:
    warmup, measure = headers or (None, None)
    return LoadSpec(
        url=url,
        expect=expect,
        connections=4,
        duration=0.5,
        warmup=0.2,
        warmup_headers=warmup,
        measure_headers=measure,
    )


def header_files(tmp_path: Path, counts: tuple[int, int]) -> tuple[str, str]:
    """Two header files (warm-up, measurement) whose lines say which file and line they are."""
    paths = []
    for phase, count in zip(("warmup_headers", "measure_headers"), counts, strict=True):
        path = tmp_path / f"{phase}.txt"
        path.write_text("".join(f"{phase}-{i}\n" for i in range(count)))
        paths.append(str(path))
    return paths[0], paths[1]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_result_round_trips_through_json() -> None:
    result = LoadResult(ok=10, seconds=2.0, p50_ms=1.5, p99_ms=3.0, errors={"status 500": 1})
    again = LoadResult.from_json(result.to_json())
    assert again == result and again.rate == 5.0 and again.error_count == 1


async def test_aiohttp_generator_measures_the_expected_status() -> None:
    app = Recorder(status=402)
    with BackgroundServer(app) as server:
        result = await drive(spec(server.url + "/paid", expect=402))
    assert result.ok > 0 and result.errors == {}
    assert result.ok_total >= result.ok
    assert 0 < result.p50_ms <= result.p99_ms


async def test_aiohttp_generator_counts_unexpected_statuses() -> None:
    with BackgroundServer(Recorder()) as server:
        result = await drive(spec(server.url + "/fail"))
    assert result.ok == 0 and result.errors["status 500"] > 0


async def test_aiohttp_generator_never_reuses_a_payment_header(tmp_path: Path) -> None:
    app = Recorder()
    with BackgroundServer(app) as server:
        result = await drive(spec(server.url, headers=header_files(tmp_path, (100_000, 100_000))))
    assert result.errors == {}
    assert len(app.headers) == len(set(app.headers)) == sum(app.paths.values())


async def test_aiohttp_generator_reports_running_out_of_headers(tmp_path: Path) -> None:
    with BackgroundServer(Recorder()) as server:
        result = await drive(spec(server.url, headers=header_files(tmp_path, (5, 5))))
    assert result.errors[OUT_OF_HEADERS] > 0


def test_wrk_script_builds_requests_in_lua_only_for_paid_runs() -> None:
    assert "function request()" in wrk_script(paid=True)
    assert "function request()" not in wrk_script(paid=False)
    assert whole_seconds(0.2) == 1 and whole_seconds(2.0) == 2 and whole_seconds(2.1) == 3


def test_wrk_output_is_parsed_with_every_error_kind() -> None:
    line = {
        "ok": 90,
        "duration_us": 2_000_000,
        "p50_us": 1500.0,
        "p99_us": 9000.0,
        "connect": 0,
        "read": 2,
        "write": 0,
        "timeout": 1,
        "exhausted": 3,
        "statuses": {"500": 4},
    }
    result = parse_wrk_output(f"Running 2s test\nBENCH_RESULT {json.dumps(line)}\n")
    assert (result.ok, result.seconds, result.p50_ms, result.p99_ms) == (90, 2.0, 1.5, 9.0)
    assert result.errors == {
        "status 500": 4,
        "socket read error": 2,
        "socket timeout error": 1,
        "ran out of payment headers (generate more)": 3,
    }


def test_wrk_output_without_a_result_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="printed no BENCH_RESULT line"):
        parse_wrk_output("unable to connect to 127.0.0.1:1\n")


def run_command(name: str, argv: list[str], timeout: float) -> str:
    done = subprocess.run(argv, capture_output=True, timeout=timeout, check=True)
    return done.stdout.decode()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_never_reuses_a_payment_header(tmp_path: Path) -> None:
    wrk = shutil.which("wrk") or "wrk"
    app = Recorder()
    files = header_files(tmp_path, (200_000, 200_000))
    with BackgroundServer(app) as server:
        result = run_wrk(wrk, spec(server.url, headers=files), tmp_path, run_command)
    assert result.ok > 0 and result.errors == {}
    assert len(app.headers) == len(set(app.headers)) == app.paths["/"]
    # Both phases drew from their own file, from both wrk threads' shares.
    assert {h.split("-")[0] for h in app.headers} == {"warmup_headers", "measure_headers"}
    assert {int(h.split("-")[1]) % 2 for h in app.headers} == {0, 1}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_counts_unexpected_statuses_from_every_thread(tmp_path: Path) -> None:
    wrk = shutil.which("wrk") or "wrk"
    app = Recorder()
    with BackgroundServer(app) as server:
        result = run_wrk(wrk, spec(server.url + "/fail"), tmp_path, run_command)
    assert result.ok == 0 and result.ok_total == 0
    in_flight_at_the_end = 2 * 4  # per run: warm-up and measurement
    seen = app.paths["/fail"]
    assert seen - in_flight_at_the_end <= result.errors["status 500"] <= seen


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_reports_running_out_of_headers(tmp_path: Path) -> None:
    wrk = shutil.which("wrk") or "wrk"
    with BackgroundServer(Recorder()) as server:
        result = run_wrk(
            wrk, spec(server.url, headers=header_files(tmp_path, (4, 4))), tmp_path, run_command
        )
    assert result.errors["ran out of payment headers (generate more)"] > 0
