"""`make bench`: what farebox costs on top of its upstream, on this machine, as ratios.

    python -m bench.run [--duration 5] [--warmup 2] [--connections 32] [--quick]
                        [--scenarios abcdef] [--load auto|wrk|aiohttp]

Runs the in-process micro-benchmarks, then starts a fast upstream, a
zero-latency facilitator stub and one gateway process per facilitator client,
and loads each HTTP scenario from a separate load-generator process. Exits 1
if any scenario saw an unexpected status or error, or facilitator calls its
200s do not account for; 2 if the harness itself failed; 130 when interrupted.
Every process it started is ended in all cases.
"""

from __future__ import annotations

import argparse
import math
import shutil
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from bench.facilitator_calls import STEPS, call_errors
from bench.load.spec import LoadResult, LoadSpec
from bench.load.wrk import run_wrk, whole_seconds
from bench.micro import MICRO_BENCHMARKS, run_micro
from bench.payments import requirements_from_402, unsigned_payment_headers, write_lines
from bench.processes import BenchProcessError, ProcessGroup, Service
from bench.report import Outcome, render
from bench.scenarios import GATEWAY_CLIENTS, ISSUANCE, SCENARIOS, UPSTREAM, Scenario, select

STUB = "facilitator-stub"
FALLBACK_CEILING = 20_000.0  # req/s assumed for header counts when (c) was not measured
HEADER_HEADROOM = 1.5


@dataclass(frozen=True)
class Options:
    duration: float
    warmup: float
    connections: int
    scenarios: str
    load: str  # "wrk" or "aiohttp"
    micro_seconds: float


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, help="measured seconds per scenario (5)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each (2)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (32)")
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument(
        "--scenarios", default="".join(s.key for s in SCENARIOS), help="letters to run (all)"
    )
    parser.add_argument("--load", choices=("auto", "wrk", "aiohttp"), default="auto")
    args = parser.parse_args(argv)
    if args.connections < 1:
        parser.error("--connections must be at least 1")
    for name in ("duration", "warmup"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            parser.error(f"--{name} must be a positive number of seconds")
    try:
        select(args.scenarios)
    except ValueError as exc:
        parser.error(str(exc))
    duration = args.duration or (2.0 if args.quick else 5.0)
    load = args.load if args.load != "auto" else ("wrk" if shutil.which("wrk") else "aiohttp")
    if load == "wrk" and not shutil.which("wrk"):
        parser.error("--load wrk: wrk is not on PATH (apt-get install wrk), or use --load aiohttp")
    return Options(
        duration=duration,
        warmup=args.warmup or (1.0 if args.quick else 2.0),
        connections=args.connections,
        scenarios=args.scenarios,
        load=load,
        micro_seconds=0.1 if args.quick else 1.0,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        return run(options)
    except KeyboardInterrupt:
        print("\nbench: interrupted; every process it started has been stopped", file=sys.stderr)
        return 130
    except BenchProcessError as exc:
        print(f"bench: a helper process failed: {exc}", file=sys.stderr)
        return 2


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every `with`, so the teardown runs


def run(options: Options) -> int:
    scenarios = select(options.scenarios)
    progress(f"micro-benchmarks ({options.micro_seconds:g}s each)")
    micro = run_micro(MICRO_BENCHMARKS, options.micro_seconds)
    with (
        tempfile.TemporaryDirectory(prefix="farebox-bench-") as tmp,
        ProcessGroup(Path(tmp)) as processes,
    ):
        bench = HttpBench(options, processes, Path(tmp))
        bench.start_servers(scenarios)
        outcomes = [bench.measure(s) for s in scenarios]
    print(render(outcomes, micro, header(options)))
    return 1 if any(o.error_count for o in outcomes) else 0


def header(options: Options) -> str:
    line = (
        f"farebox bench: {options.duration:g}s measured per scenario after a "
        f"{options.warmup:g}s warm-up, {options.connections} keep-alive connections, "
        f"load from {options.load}"
    )
    if options.load == "aiohttp":
        line += (
            "\nnote: a Python load generator may be what limits the fastest scenarios "
            "(compressing their ratios); install wrk for the real ceiling"
        )
    return line


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


class HttpBench:
    """The servers of one run and the measurement of each HTTP scenario against them."""

    def __init__(self, options: Options, processes: ProcessGroup, workdir: Path) -> None:
        self.options = options
        self.processes = processes
        self.workdir = workdir
        self.servers: dict[str, Service] = {}
        self.outcomes: dict[str, Outcome] = {}

    def start_servers(self, scenarios: list[Scenario]) -> None:
        start = self.processes.start_service
        progress("starting the upstream, the facilitator stub and the gateways")
        self.servers[UPSTREAM] = start(UPSTREAM, "bench.services.upstream")
        roles = [r for r in GATEWAY_CLIENTS if any(s.server == r for s in scenarios)]
        if roles:
            self.servers[STUB] = start(STUB, "bench.services.facilitator_stub")
        for role in roles:
            self.servers[role] = start(
                role,
                "bench.services.gateway",
                self.servers[UPSTREAM].url,
                self.servers[STUB].url,
                f"--client={GATEWAY_CLIENTS[role]}",
            )

    def measure(self, scenario: Scenario) -> Outcome:
        server = self.servers[scenario.server]
        title = scenario.title.format(client=server.details.get("client", "?"))
        progress(f"({scenario.key}) {title}")
        url = server.url + scenario.path
        spec = self.spec(scenario, url)
        calls_before = self.stub_calls()
        result = self.load(spec, scenario.key)
        self.processes.check_alive()
        calls = self.stub_calls() - calls_before
        outcome = Outcome(scenario, title, result, dict(result.errors), dict(calls))
        if STUB in self.servers:
            served = result.ok_total if scenario.paid else 0
            # A load generator may abandon what is in flight as each run (warm-up, measure) ends.
            abandoned = 2 * spec.connections
            outcome.errors.update(call_errors(scenario, served, calls, abandoned))
        self.outcomes[scenario.key] = outcome
        return outcome

    def spec(self, scenario: Scenario, url: str) -> LoadSpec:
        o = self.options
        warmup_headers = measure_headers = None
        if scenario.paid:
            requirements = requirements_from_402(fetch_402(url).headers["payment-required"])
            files = []
            for phase, seconds in (("warmup", o.warmup), ("measure", o.duration)):
                headers = unsigned_payment_headers(requirements, self.headers_needed(seconds))
                path = self.workdir / f"headers-{scenario.key}-{phase}.txt"
                files.append(str(write_lines(path, headers)))
            warmup_headers, measure_headers = files
        return LoadSpec(
            url=url,
            expect=scenario.expect,
            connections=o.connections,
            duration=o.duration,
            warmup=o.warmup,
            warmup_headers=warmup_headers,
            measure_headers=measure_headers,
        )

    def headers_needed(self, seconds: float) -> int:
        """Enough single-use headers for `seconds` at the 402 path's speed, which no paid
        request can beat (it does the same work, then more)."""
        issuance = self.outcomes.get(ISSUANCE)
        rate = issuance.result.rate if issuance and issuance.result else 0.0
        ceiling = rate or FALLBACK_CEILING
        return math.ceil(ceiling * whole_seconds(seconds) * HEADER_HEADROOM) + 4 * (
            self.options.connections
        )

    def load(self, spec: LoadSpec, key: str) -> LoadResult:
        if self.options.load == "wrk":
            wrk = shutil.which("wrk") or "wrk"
            return run_wrk(wrk, spec, self.workdir, self.processes.run)
        argv = [sys.executable, "-m", "bench.load.aiohttp_gen", spec.to_json()]
        timeout = spec.warmup + spec.duration + 60
        stdout = self.processes.run(f"load-{key}", argv, timeout)
        return LoadResult.from_json(stdout.strip().splitlines()[-1])

    def stub_calls(self) -> Counter[str]:
        """Verify and settle calls the stub has answered so far (none when no stub runs)."""
        stub = self.servers.get(STUB)
        if stub is None:
            return Counter()
        stats = httpx.get(f"{stub.url}/stats", timeout=10).json()
        return Counter({step: int(stats.get(step, 0)) for step in STEPS})


def fetch_402(url: str) -> httpx.Response:
    response = httpx.get(url, timeout=10)
    if response.status_code != 402 or "payment-required" not in response.headers:
        raise BenchProcessError(
            f"GET {url} should answer 402 with a PAYMENT-REQUIRED header to pay from; "
            f"it answered {response.status_code}: {response.text[:300]}"
        )
    return response


if __name__ == "__main__":
    sys.exit(main())
