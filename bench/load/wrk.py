"""Driving wrk: a Lua script that counts statuses and hands out one payment header per request.

wrk reports only "non-2xx" responses, which cannot tell an expected 402 from a
500, so the script counts every status itself. Paid scenarios need a distinct
PAYMENT-SIGNATURE per request: each wrk thread reads its own share of the
header file (every n-th line) and never reuses one.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

from bench.load.spec import PAYMENT_HEADER, LoadResult, LoadSpec

RESULT_PREFIX = "BENCH_RESULT "
OUT_OF_HEADERS = "ran out of payment headers (generate more)"

COUNTING = """
local threads = {}
local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

function init(args)
  expect = tonumber(args[1])
  ok = 0
  bad = {}
  exhausted = 0
  load_headers(tonumber(args[2]), args[3])
end

function load_headers(nthreads, path)
  headers = {}
  used = 0
  if path == nil or path == "" then return end
  local line_no = 0
  for line in io.lines(path) do
    if line_no % nthreads == index then headers[#headers + 1] = line end
    line_no = line_no + 1
  end
end

function response(status, resp_headers, body)
  if status == expect then
    ok = ok + 1
  else
    local key = tostring(status)
    bad[key] = (bad[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_exhausted, counts, statuses = 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_exhausted = total_exhausted + thread:get("exhausted")
    for key, count in pairs(thread:get("bad")) do
      counts[key] = (counts[key] or 0) + count
    end
  end
  for key, count in pairs(counts) do
    statuses[#statuses + 1] = string.format('"%s":%d', key, count)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"ok":%d,"duration_us":%d,"p50_us":%.1f,"p99_us":%.1f,'
      .. '"connect":%d,"read":%d,"write":%d,"timeout":%d,"exhausted":%d,"statuses":{%s}}\\n',
    total_ok, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, total_exhausted, table.concat(statuses, ",")))
end
"""

# Defining request() makes wrk build every request in Lua, so only paid scenarios do.
PER_REQUEST_HEADER = f"""
function request()
  if used < #headers then
    used = used + 1
    return wrk.format(nil, nil, {{["{PAYMENT_HEADER}"] = headers[used]}})
  end
  exhausted = exhausted + 1
  return wrk.format()
end
"""


def wrk_script(paid: bool) -> str:
    return COUNTING + (PER_REQUEST_HEADER if paid else "")


def wrk_argv(
    wrk: str, spec: LoadSpec, script: Path, seconds: float, headers: str | None
) -> list[str]:
    threads = max(1, min(os.cpu_count() or 1, spec.connections))
    return [
        wrk,
        f"-t{threads}",
        f"-c{spec.connections}",
        f"-d{whole_seconds(seconds)}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        spec.url,
        "--",
        str(spec.expect),
        str(threads),
        headers or "",
    ]


def whole_seconds(seconds: float) -> int:
    """wrk takes whole seconds; round up so a run is never shorter than asked."""
    return max(1, math.ceil(seconds))


def parse_wrk_output(stdout: str) -> LoadResult:
    """The result line our Lua `done()` printed, as a LoadResult."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise ValueError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{stdout[-2000:]}")
    data = json.loads(lines[-1][len(RESULT_PREFIX) :])
    errors = {f"status {code}": count for code, count in data["statuses"].items()}
    for kind in ("connect", "read", "write", "timeout"):
        if data[kind]:
            errors[f"socket {kind} error"] = data[kind]
    if data["exhausted"]:
        errors[OUT_OF_HEADERS] = data["exhausted"]
    return LoadResult(
        ok=data["ok"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        ok_total=data["ok"],
    )


def run_wrk(
    wrk: str, spec: LoadSpec, script_dir: Path, run: Callable[[str, list[str], float], str]
) -> LoadResult:
    """Warm up, then measure, each as one wrk run; `run(name, argv, timeout)` runs a command."""
    paid = spec.measure_headers is not None
    script = script_dir / ("wrk-paid.lua" if paid else "wrk.lua")
    script.write_text(wrk_script(paid))
    warm = parse_wrk_output(
        run("wrk-warmup", wrk_argv(wrk, spec, script, spec.warmup, spec.warmup_headers), 60)
    )
    timeout = whole_seconds(spec.duration) + 60
    measured = parse_wrk_output(
        run("wrk", wrk_argv(wrk, spec, script, spec.duration, spec.measure_headers), timeout)
    )
    for key, count in warm.errors.items():
        measured.errors[key] = measured.errors.get(key, 0) + count
    measured.ok_total = warm.ok + measured.ok
    return measured
