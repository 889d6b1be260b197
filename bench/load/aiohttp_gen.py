"""A closed-loop load generator on aiohttp, for machines without wrk.

    python -m bench.load.aiohttp_gen '<LoadSpec as JSON>'   # prints a LoadResult as JSON

N keep-alive connections each send their next request as soon as the previous
answer is read. The first `warmup` seconds are not measured; latencies and
throughput count only responses completed inside the measured window.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import aiohttp
import uvloop
from yarl import URL

from bench.load.spec import PAYMENT_HEADER, LoadResult, LoadSpec, percentile

REQUEST_TIMEOUT = 10.0
OUT_OF_HEADERS = "ran out of payment headers (generate more)"


class Run:
    """Shared state of one load run, touched only from the event loop."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.measuring = False
        self.stopping = False
        self.latencies: list[float] = []
        self.ok = 0
        self.ok_total = 0
        self.errors: Counter[str] = Counter()
        self.headers = payment_headers(spec)

    def next_headers(self) -> dict[str, str] | None:
        if self.headers is None:
            return None
        value = next(self.headers, None)
        if value is None:
            self.errors[OUT_OF_HEADERS] += 1
            self.stopping = True
            return None
        return {PAYMENT_HEADER: value}

    def record(self, status: int, seconds: float) -> None:
        expected = status == self.spec.expect
        if expected:
            self.ok_total += 1
        else:
            self.errors[f"status {status}"] += 1
        if self.measuring:
            self.latencies.append(seconds)
            self.ok += expected


def payment_headers(spec: LoadSpec) -> Iterator[str] | None:
    files = [f for f in (spec.warmup_headers, spec.measure_headers) if f]
    if not files:
        return None
    return chain.from_iterable(Path(f).read_text().split() for f in files)


async def connection(session: aiohttp.ClientSession, run: Run) -> None:
    url = URL(run.spec.url)
    while not run.stopping:
        headers = run.next_headers()
        if run.stopping:
            return
        start = time.perf_counter()
        try:
            async with session.get(url, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            run.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.01)  # a refused connection must not become a busy loop
            continue
        run.record(status, time.perf_counter() - start)


async def drive(spec: LoadSpec) -> LoadResult:
    run = Run(spec)
    connector = aiohttp.TCPConnector(limit=spec.connections, limit_per_host=0)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    ) as session:
        tasks = [asyncio.create_task(connection(session, run)) for _ in range(spec.connections)]
        await asyncio.sleep(spec.warmup)
        run.measuring, started = True, time.perf_counter()
        await asyncio.sleep(spec.duration)
        run.measuring, run.stopping = False, True
        seconds = time.perf_counter() - started
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT)
        for task in tasks:
            task.cancel()
    latencies = sorted(run.latencies)
    return LoadResult(
        ok=run.ok,
        seconds=seconds,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=dict(run.errors),
        ok_total=run.ok_total,
    )


def main() -> None:
    spec = LoadSpec.from_json(sys.argv[1])
    print(uvloop.run(drive(spec)).to_json(), flush=True)


if __name__ == "__main__":
    main()
