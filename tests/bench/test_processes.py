"""Helper processes start, announce themselves, and are always ended."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from bench.processes import BenchProcessError, ProcessGroup


def test_service_announces_its_url_and_leaves_when_the_harness_lets_go(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        service = group.start_service("upstream", "bench.services.upstream")
        assert httpx.get(service.url + "/anything").status_code == 200
        group.check_alive()
    # Exit status 0: it left on its own when its stdin closed, not by a signal.
    assert service.process.returncode == 0


def test_gateway_names_its_facilitator_client(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        up = group.start_service("upstream", "bench.services.upstream")
        stub = group.start_service("stub", "bench.services.facilitator_stub")
        own = group.start_service("gateway", "bench.services.gateway", up.url, stub.url)
        sdk = group.start_service(
            "gateway-sdk", "bench.services.gateway", up.url, stub.url, "--client=sdk"
        )
        assert own.details == {"client": "HttpFacilitator"}
        assert sdk.details == {"client": "HTTPFacilitatorClient"}
    assert all(s.process.returncode is not None for s in (up, stub, own, sdk))


def test_a_service_that_fails_to_start_shows_its_log(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group, pytest.raises(BenchProcessError) as failure:
        group.start_service("gateway", "bench.services.gateway", "--client=nonsense")
    assert "gateway did not start" in str(failure.value)
    assert "invalid choice: 'nonsense'" in str(failure.value)


def test_a_service_that_dies_is_reported(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        service = group.start_service("upstream", "bench.services.upstream")
        service.process.kill()
        service.process.wait()
        with pytest.raises(BenchProcessError, match="upstream exited with -9 during the run"):
            group.check_alive()


def test_run_returns_stdout_and_reports_failures_with_the_log(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        assert group.run("echo", [sys.executable, "-c", "print('hi')"], 30) == "hi\n"
        code = "import sys; print('boom', file=sys.stderr); sys.exit(3)"
        with pytest.raises(BenchProcessError, match=r"(?s)exited with 3.*boom"):
            group.run("fail", [sys.executable, "-c", code], 30)


def test_run_ends_a_command_that_overstays(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        with pytest.raises(BenchProcessError, match=r"did not finish within 0\.5s"):
            group.run("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], 0.5)
        assert not group._running
