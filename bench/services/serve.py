"""Child-process side of bench.processes: serve an app, announce the URL, die with the parent.

A service prints exactly one line, `READY <url>`, on stdout once uvicorn accepts
connections, and exits as soon as its stdin closes: the harness holds the other
end, so a harness that dies for any reason (even SIGKILL) takes its services along.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
from typing import Any

import uvicorn
import uvloop

from farebox.serving import bind_socket, uvicorn_config

READY = "READY"


def exit_when_parent_goes() -> None:
    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)  # nothing to flush: benchmark services hold no state worth saving

    threading.Thread(target=watch, daemon=True, name="bench-lifeline").start()


def serve(
    app: Any,
    *,
    lifespan: str = "off",
    host: str = "127.0.0.1",
    ready_details: tuple[str, ...] = (),
) -> None:
    """Serve `app` on a free port with uvicorn (1 worker, uvloop + httptools)."""
    exit_when_parent_goes()
    # As `farebox start` does: objects built at startup leave the collector's work.
    gc.collect()
    gc.freeze()
    sock = bind_socket(host, 0)
    url = f"http://{host}:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn_config(app, lifespan=lifespan))

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                await task  # re-raises the startup failure
                raise SystemExit(f"server on {url} stopped before it started")
            await asyncio.sleep(0.01)
        announce(url, *ready_details)
        await task

    uvloop.run(main())


def announce(url: str, *details: str) -> None:
    print(" ".join((READY, url, *details)), flush=True)
    sys.stdout = sys.stderr  # nobody reads stdout after this line; keep the pipe from filling
