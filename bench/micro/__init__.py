"""In-process micro-benchmarks: pure functions on the request path, timed without sockets.

To add one, write a `prepare` function that does all setup and returns the
zero-argument operation to time, and append a MicroBenchmark to MICRO_BENCHMARKS.
"""

from __future__ import annotations

from bench.micro.harness import MicroBenchmark, MicroResult, Operation, measure, run_micro
from bench.micro.headers import DECODE_AND_BIND
from bench.micro.pricing import PRICE_RESOLUTION

MICRO_BENCHMARKS: list[MicroBenchmark] = [DECODE_AND_BIND, *PRICE_RESOLUTION]

__all__ = [
    "MICRO_BENCHMARKS",
    "MicroBenchmark",
    "MicroResult",
    "Operation",
    "measure",
    "run_micro",
]
