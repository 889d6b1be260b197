"""In-process micro-benchmarks: pure functions on the request path, timed without sockets.

To add one, write a `prepare` function that does all setup and returns the
zero-argument operation to time, and append a MicroBenchmark to MICRO_BENCHMARKS
(for example: price resolution for a route with 2,000 models, in resolutions/s).
"""

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


@dataclass(frozen=True)
class MicroResult:
    name: str
    unit: str
    per_second: float


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
    return [MicroResult(b.name, b.unit, measure(b.prepare(), seconds)) for b in benchmarks]


# --- the benchmarks -------------------------------------------------------------


def prepare_decode_and_bind() -> Operation:
    """Decode a PAYMENT-SIGNATURE header and bind it to the route's requirements."""
    from x402.schemas import PaymentRequirements

    from bench.payments import unsigned_payment_headers
    from farebox.config.chain import usdc_address
    from farebox.payments.header import bind_to_price, decode_payment

    requirements = PaymentRequirements(
        scheme="exact",
        network="eip155:84532",
        asset=usdc_address("eip155:84532"),
        amount="10000",
        pay_to="0x" + "12" * 20,
        max_timeout_seconds=60,
        extra={"name": "USDC", "version": "2"},
    )
    header = unsigned_payment_headers(requirements, 1)[0]
    offered = [requirements]
    return lambda: bind_to_price(decode_payment(header), offered)


MICRO_BENCHMARKS: list[MicroBenchmark] = [
    MicroBenchmark(
        "decode + bind a PAYMENT-SIGNATURE header", "headers/s", prepare_decode_and_bind
    ),
]
