"""Checking the facilitator stub's counters against what each scenario's 200s must cost.

Every paid 200 must have caused exactly `scenario.verifies` verify calls and
`scenario.settles` settle calls; a free route or a 402 must cause none. The
only slack is for requests the load generator abandoned when a run ended:
the gateway may have called the facilitator for them, but no 200 was counted.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.scenarios import Scenario

STEPS = ("verify", "settle")


def expected_calls(scenario: Scenario, step: str) -> int:
    """Facilitator calls of `step` ("verify" or "settle") that one 200 must cost."""
    return scenario.verifies if step == "verify" else scenario.settles


def call_errors(
    scenario: Scenario, served: int, calls: Mapping[str, int], abandoned: int
) -> dict[str, int]:
    """What the facilitator saw that `served` 200s do not explain, as {description: count}.

    `served` counts the paid 200s (0 for a scenario that pays nothing); `abandoned`
    bounds the requests in flight when the load generator stopped.
    """
    errors: dict[str, int] = {}
    for step in STEPS:
        per_200 = expected_calls(scenario, step) if scenario.paid else 0
        seen = calls.get(step, 0)
        low, high = per_200 * served, per_200 * (served + abandoned)
        if seen < low:
            errors[f"paid 200 without its {step} call at the facilitator"] = low - seen
        elif seen > high:
            what = f"{step} calls beyond {per_200} per 200"
            errors[f"{what} ({seen} for {served} paid 200s)"] = seen - high
    return errors
