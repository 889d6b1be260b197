"""What pricing tests share: the facts of a request to price."""

from __future__ import annotations

from typing import Any

from farebox.pricing.quote import RequestFacts


def facts(
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> RequestFacts:
    return RequestFacts(
        method="POST",
        path="/x",
        params=params or {},
        query=query or {},
        headers=headers or {},
        body=body,
    )
