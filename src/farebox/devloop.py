"""farebox dev: run the gateway, and restart it whenever its config or code changes.

The gateway runs in a child process (`python -m farebox.cli start`), so every
restart imports the hook and pricing files afresh, exactly as `farebox start`
would. This process only watches files and tells the operator what happened:

- the config file and every file it names (hooks, pricing functions) are
  watched; their folders are watched rather than the files themselves, so an
  editor that saves by replacing the file, or a file created later, is seen;
- a change prints what changed, stops the gateway and starts it again;
- a config that does not load prints the same text as `farebox validate` and
  nothing serves until it is fixed; a gateway that exits (a hook that does not
  import, a port in use) is reported the same way. Either way the watching
  goes on: saving a fix starts the gateway again.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import watchfiles

from farebox.config.errors import ConfigError
from farebox.config.loader import LoadedConfig, find_config, load_config

PREFIX = "farebox dev:"
TICK_MS = 300  # how often the loop looks at the gateway between file changes
STOP_SECONDS = 10.0  # a graceful stop past this is a kill
# Editors often save by writing a new file over the old: "added" is a change too.
_CHANGE_WORDS = {watchfiles.Change.deleted: "deleted"}


def run_dev(config: str | None, host: str | None, port: int | None) -> int:
    """Run `farebox dev` until interrupted; 0 on a clean stop, 1 if there is no config file."""
    try:
        path = find_config(config).resolve()
    except ConfigError as exc:
        say(f"config error:\n{exc}")
        return 1
    loop = DevLoop(path, host, port)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # stop the gateway on SIGTERM too
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    finally:
        loop.gateway.stop()
        signal.signal(signal.SIGTERM, previous)
    say(f"{PREFIX} stopped")
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- what to watch ------------------------------------------------------------


def named_files(loaded: LoadedConfig) -> set[Path]:
    """Every hook and pricing-function file the config names, resolved like the loader does."""
    config = loaded.config
    sources = list(config.hooks.values())
    for route in config.routes.values():
        sources += route.hooks.values()
        if route.price_fn is not None:
            sources.append(route.price_fn.fn)
    files = set()
    for source in sources:
        path = Path(source).expanduser()
        files.add((path if path.is_absolute() else loaded.base_dir / path).resolve())
    return files


def watch_roots(files: Iterable[Path]) -> list[Path]:
    """The folders to watch: each file's own, or its nearest existing ancestor."""
    roots = set()
    for file in files:
        folder = file.parent
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        roots.add(folder)
    return sorted(roots)


@dataclass(frozen=True)
class Watched:
    """The files whose changes restart the gateway (and their missing folders)."""

    files: frozenset[Path]

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        # A folder created on the way to a named file that does not exist yet counts too.
        return changed in self.files or any(changed in f.parents for f in self.files)


# --- the gateway process -------------------------------------------------------


class GatewayProcess:
    """`farebox start` in a child process, and whether it is up."""

    def __init__(self, config: Path, host: str | None, port: int | None) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.address: tuple[str, int] | None = None
        self.reported = False  # its readiness or exit was told

    def start(self, loaded: LoadedConfig) -> None:
        command = [sys.executable, "-m", "farebox.cli", "start", "--config", str(self.config)]
        if self.host is not None:
            command += ["--host", self.host]
        if self.port is not None:
            command += ["--port", str(self.port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(command, env=env)
        self.address = local_address(
            self.host or loaded.config.gateway.hostname,
            self.port if self.port is not None else loaded.config.gateway.port,
        )
        self.reported = False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # uvicorn finishes the requests in flight
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def check(self) -> None:
        """Tell, once, when the gateway is up or has exited."""
        if self.process is None or self.reported:
            return
        code = self.process.poll()
        if code is not None:
            self.reported = True
            say(
                f"{PREFIX} the gateway exited (code {code}); fix what it printed above and "
                "save: it restarts on the next change"
            )
        elif self.address is not None and listening(self.address):
            self.reported = True
            say(f"{PREFIX} serving on {url_of(self.address)}")


def local_address(host: str, port: int) -> tuple[str, int] | None:
    """Where this machine reaches the gateway; None when the OS picks the port."""
    if port == 0:
        return None
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host), port


def url_of(address: tuple[str, int]) -> str:
    host, port = address
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def listening(address: tuple[str, int]) -> bool:
    # A connection, not a request: a /health probe would show in the gateway's access log.
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


# --- the loop -------------------------------------------------------------------


class DevLoop:
    def __init__(self, config: Path, host: str | None, port: int | None) -> None:
        self.config = config
        self.gateway = GatewayProcess(config, host, port)
        self.watched = Watched(frozenset())

    def run(self) -> None:
        self.restart()
        while True:
            changes = self.next_changes()
            say(f"{PREFIX} {describe(changes, self.config.parent)}; restarting")
            self.restart()

    def restart(self) -> None:
        """Stop the gateway, reload the config and, if it loads, start the gateway again."""
        self.gateway.stop()
        try:
            loaded = load_config(self.config)
        except ConfigError as exc:
            say(f"config error:\n{exc}")
            say(f"{PREFIX} not serving until {self.config.name} is fixed; watching for changes")
            # Keep watching what the last good config named: a fix may be in a hook file.
            self.watched = Watched(self.watched.files | {self.config})
            return
        watched = Watched(frozenset({self.config, *named_files(loaded)}))
        if watched != self.watched:
            names = ", ".join(shown(f, self.config.parent) for f in sorted(watched.files))
            say(f"{PREFIX} watching {names}")
        self.watched = watched
        self.gateway.start(loaded)

    def next_changes(self) -> set[tuple[watchfiles.Change, str]]:
        """Block until a watched file changes, checking on the gateway meanwhile."""
        roots = watch_roots(self.watched.files)
        for changes in watchfiles.watch(
            *roots,
            watch_filter=self.watched,
            recursive=False,
            rust_timeout=TICK_MS,
            yield_on_timeout=True,
        ):
            if changes:
                return changes
            self.gateway.check()
        raise KeyboardInterrupt  # pragma: no cover - the watcher ends only when interrupted


def describe(changes: Iterable[tuple[watchfiles.Change, str]], base: Path) -> str:
    """'hooks/allow.py changed, farebox.yaml changed', paths relative to the config's folder."""
    seen: dict[str, str] = {}
    for change, path in sorted(changes, key=lambda c: c[1]):
        seen[shown(Path(path), base)] = _CHANGE_WORDS.get(change, "changed")
    return ", ".join(f"{path} {word}" for path, word in seen.items())


def shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


# --- running it on its own (until cli.py has `farebox dev`) ------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="farebox dev", description="run the gateway and restart it when its files change"
    )
    parser.add_argument("--config", help="config file (default: ./farebox.yaml)")
    parser.add_argument("--host", help="listen address (default: gateway.hostname)")
    parser.add_argument("--port", type=int, help="listen port (default: gateway.port)")
    args = parser.parse_args(argv)
    return run_dev(args.config, args.host, args.port)


if __name__ == "__main__":
    raise SystemExit(main())
