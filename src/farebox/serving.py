"""Run an ASGI app on a real socket, in the foreground or in a background thread."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

ASGIApp = Any


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP lets the event loop set TCP_NODELAY on accepted
    # connections; without it, multi-write responses wait on delayed ACKs (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def uvicorn_config(app: ASGIApp, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": 5,
        # farebox decides itself whether X-Forwarded-* can be trusted (gateway.trustProxy)
        "proxy_headers": False,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


class BackgroundServer:
    """An ASGI app served by uvicorn from a daemon thread (used by tests and the demo)."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, **options: Any):
        self._sock = bind_socket(host, port)
        self._server = uvicorn.Server(uvicorn_config(app, **options))
        self._thread = threading.Thread(target=self._run, daemon=True, name="farebox-server")
        sock_host, sock_port = self._sock.getsockname()[:2]
        self.host = sock_host
        self.port: int = sock_port
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{sock_port}"

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])  # applies the configured loop (uvloop)

    def start(self) -> BackgroundServer:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} failed to start")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
