"""Starting the benchmark's processes, and always ending every one of them.

Each child gets its own session (process group), so a terminal's Ctrl-C reaches
only the harness, which then ends its children by group id. Services also hold
a pipe to the harness on stdin and exit when it closes (see services/serve.py),
so even a harness killed with SIGKILL leaves nothing running.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

READY = "READY"
STOP_GRACE_SECONDS = 3.0
LOG_TAIL_CHARS = 3000


class BenchProcessError(RuntimeError):
    """A helper process failed; the message carries the tail of its log."""


@dataclass
class Service:
    name: str
    url: str
    details: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class ProcessGroup:
    """Every process the harness starts; leaving the `with` block ends them all."""

    log_dir: Path
    services: list[Service] = field(default_factory=list)
    _running: set[subprocess.Popen[bytes]] = field(default_factory=set)

    def start_service(self, name: str, module: str, *args: str, timeout: float = 60.0) -> Service:
        """Start `python -m module args...` and wait for its READY line."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as log_file:
            process = self._spawn([sys.executable, "-m", module, *args], log_file, stdin=True)
        line = _read_line(process.stdout, timeout) if process.stdout else ""
        if not line.startswith(READY + " "):
            self._stop(process)
            raise BenchProcessError(f"{name} did not start: {line!r}\n{tail(log)}")
        url, *rest = line.split()[1:]
        details = dict(item.partition("=")[::2] for item in rest)
        service = Service(name, url, details, process, log)
        self.services.append(service)
        return service

    def run(self, name: str, argv: list[str], timeout: float) -> str:
        """Run a command to completion (ended on timeout or interrupt); its stdout."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as log_file:
            process = self._spawn(argv, log_file, stdin=False)
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchProcessError(
                f"{name} did not finish within {timeout:g}s\n{tail(log)}"
            ) from None
        finally:
            self._stop(process, grace=0.0)
        if process.returncode != 0:
            raise BenchProcessError(f"{name} exited with {process.returncode}\n{tail(log)}")
        return out.decode()

    def check_alive(self) -> None:
        for service in self.services:
            if not service.alive():
                raise BenchProcessError(
                    f"{service.name} exited with {service.process.returncode} during the run\n"
                    f"{tail(service.log)}"
                )

    def close(self) -> None:
        for process in list(self._running):
            if process.stdin:
                process.stdin.close()  # services take this as the order to leave
        for process in list(self._running):
            self._stop(process)
        self.services.clear()

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _spawn(self, argv: list[str], log: IO[bytes], *, stdin: bool) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        self._running.add(process)
        return process

    def _stop(self, process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
        """End a process and its group: give it `grace` seconds to leave, then SIGTERM, SIGKILL."""
        deadline = time.monotonic() + grace
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        # Signal the group only while its leader is unreaped: until then the id is still ours.
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()
        self._running.discard(process)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pgid, sig)


def _read_line(stream: IO[bytes] | None, timeout: float) -> str:
    if stream is None:
        return ""
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        return f"(no READY line within {timeout:g}s)"
    return stream.readline().decode(errors="replace").strip()


def tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-LOG_TAIL_CHARS:]
