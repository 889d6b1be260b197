"""Timing a zero-argument operation: batches sized to the clock, results per second."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Operation = Callable[[], object]
BATCH_SECONDS = 0.01  # long enough that the clock's overhead vanishes


@dataclass(frozen=True)
class MicroBenchmark:
    name: str
    unit: str  # what one operation is, per second: "decodes/s", "resolutions/s"
    prepare: Callable[[], Operation]
    group: str = ""  # benchmarks of one group are printed together, under this heading
    relative_to: str | None = None  # the name of the benchmark this one is a ratio to


@dataclass(frozen=True)
class MicroResult:
    name: str
    unit: str
    per_second: float
    group: str = ""
    relative_to: str | None = None


def measure(operation: Operation, seconds: float) -> float:
    """Operations per second, calling `operation` in batches for about `seconds`."""
    batch = calibrate(operation)
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(batch):
            operation()
        done += batch
    return done / elapsed if elapsed > 0 else 0.0


def calibrate(operation: Operation) -> int:
    """A batch size that takes about BATCH_SECONDS, found by doubling (this also warms up)."""
    batch = 1
    while True:
        started = time.perf_counter()
        for _ in range(batch):
            operation()
        if time.perf_counter() - started >= BATCH_SECONDS or batch >= 1 << 20:
            return batch
        batch *= 2


def run_micro(benchmarks: list[MicroBenchmark], seconds: float) -> list[MicroResult]:
    return [
        MicroResult(b.name, b.unit, measure(b.prepare(), seconds), b.group, b.relative_to)
        for b in benchmarks
    ]
