"""The gateway as an ASGI app, built from a config. No globals: tests build many."""

from __future__ import annotations

import logging
from pathlib import Path

from farebox import lifecycle
from farebox.accounting import Trace
from farebox.asgi import ClientDisconnected, Message, Receive, Scope, Send, send_json, send_response
from farebox.compile import build_runtime
from farebox.config.loader import LoadedConfig
from farebox.config.schema import Config
from farebox.cors import is_preflight, with_cors
from farebox.discovery import discovery_document
from farebox.errors import GatewayError
from farebox.exchange import Exchange
from farebox.gateway import handle_route, send_error
from farebox.payments.facilitator_client import DEFAULT_FACILITATOR_TIMEOUT, Facilitator
from farebox.runtime import Runtime

log = logging.getLogger("farebox")


class Gateway:
    """The ASGI callable: built-in endpoints, then the paid-request pipeline."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        accounting = self.runtime.accounting
        trace = Trace.begin(scope["method"], scope["path"])
        accounting.request_started()
        send = recording_status(send, trace)
        cors = self.runtime.cors
        if cors is not None:
            send = with_cors(send, cors, scope)
        try:
            if cors is not None and is_preflight(scope):
                await send_response(send, 204, headers=cors.preflight_headers(scope))
            else:
                await self._dispatch(scope, receive, send, trace)
        except GatewayError as exc:
            await send_error(send, exc)
        except ClientDisconnected:
            trace.status = trace.status or 499
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await send_error(send, GatewayError(500, "internal gateway error; see gateway logs"))
        finally:
            accounting.request_finished(trace)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, trace: Trace) -> None:
        method, path = scope["method"], scope["path"]
        raw_path = (scope.get("raw_path") or path.encode()).decode("latin-1")
        match = self.runtime.table.match(method, raw_path)
        if match is None:
            await self._builtin_or_404(send, method, raw_path)
            return
        trace.route = match.key
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(
            scope=scope,
            receive=receive,
            raw_path=raw_path,
            route=self.runtime.routes[match.key],
            params=dict(match.params),
            headers=headers,
            trace=trace,
            behind_proxy=bool(self.runtime.trust_proxy),
        )
        await handle_route(self.runtime, exchange, send)

    async def _builtin_or_404(self, send: Send, method: str, path: str) -> None:
        if method in ("GET", "HEAD"):
            if path == "/health":
                await send_json(send, 200, {"status": "ok"})
                return
            if path == "/.well-known/x402" and self.runtime.discovery:
                await send_json(send, 200, discovery_document(self.runtime))
                return
            metrics = self.runtime.accounting.metrics
            if path == "/metrics" and metrics is not None:
                body, content_type = metrics.render()
                await send_response(send, 200, body, [(b"content-type", content_type.encode())])
                return
        allowed = self.runtime.table.allowed_methods(path)
        if allowed:
            raise GatewayError(
                405,
                f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
                [(b"allow", ", ".join(allowed).encode())],
            )
        raise GatewayError(404, f"no route for {method} {path}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await lifecycle.start(self.runtime)
                except Exception as exc:
                    log.exception("gateway startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await lifecycle.stop(self.runtime)
                await send({"type": "lifespan.shutdown.complete"})
                return


def recording_status(send: Send, trace: Trace) -> Send:
    async def send_and_record(message: Message) -> None:
        if message["type"] == "http.response.start":
            trace.status = message["status"]
        await send(message)

    return send_and_record


def build_app(
    config: Config | LoadedConfig,
    *,
    local_facilitator: Facilitator | None = None,
    facilitator_timeout: float = DEFAULT_FACILITATOR_TIMEOUT,
) -> Gateway:
    """Compile a config into a gateway.

    `local_facilitator` is the in-process facilitator used where the config says
    `facilitator: local`; one is created on demand when not given.
    """
    loaded = config if isinstance(config, LoadedConfig) else LoadedConfig(config, None, Path.cwd())
    runtime = build_runtime(
        loaded, local_facilitator=local_facilitator, facilitator_timeout=facilitator_timeout
    )
    return Gateway(runtime)
