"""GET /.well-known/x402: what this gateway sells and how it takes payment."""

from __future__ import annotations

from typing import Any

from farebox.runtime import Runtime


def discovery_document(runtime: Runtime) -> dict[str, Any]:
    routes: list[dict[str, Any]] = []
    for route in runtime.routes.values():
        if route.offer is None:
            continue
        entry: dict[str, Any] = {
            "method": route.method,
            "path": route.path,
            "pricing": route.pricing,
            "settlement": route.settlement,
            "accepts": [
                {
                    "scheme": req.scheme,
                    "network": req.network,
                    "asset": req.asset,
                    "payTo": req.pay_to,
                }
                for templates in route.offer.templates.values()
                for req in templates
            ],
        }
        if route.description:
            entry["description"] = route.description
        routes.append(entry)
    return {"x402Version": 2, "routes": routes}
