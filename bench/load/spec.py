"""What to send (LoadSpec) and what came back (LoadResult), as JSON between processes."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PAYMENT_HEADER = "PAYMENT-SIGNATURE"


@dataclass(frozen=True)
class LoadSpec:
    url: str
    expect: int  # the status every response must have; anything else is an error
    connections: int
    duration: float  # measured seconds, after the warm-up
    warmup: float
    # Files of PAYMENT-SIGNATURE values, one per line; every request uses its own.
    warmup_headers: str | None = None
    measure_headers: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadSpec:
        return cls(**json.loads(text))


@dataclass
class LoadResult:
    ok: int  # responses with the expected status inside the measured window
    seconds: float  # length of the measured window
    p50_ms: float
    p99_ms: float
    # Unexpected statuses and client errors, warm-up included: "status 500": 3, "timeout": 1.
    errors: dict[str, int] = field(default_factory=dict)
    ok_total: int = 0  # expected responses in warm-up and measurement, for cross-checks

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadResult:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values; 0.0 when there are none."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
