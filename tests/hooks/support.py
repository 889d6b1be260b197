"""Helpers for hook tests: write operator files, build contexts, load examples."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from farebox.hooks import CodeLoader, Hook, HookContext, HookRequest, HookResponse, HookRoute

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def load(folder: Path, name: str, source: str, *, hook: str = "onRequest") -> Hook:
    write(folder, name, source)
    return CodeLoader(folder).load(name, where=f"hooks.{hook}", name=hook, attr="hook", arg="ctx")


def example_hook(name: str, hook: str = "onRequest") -> Hook:
    return CodeLoader(EXAMPLES).load(
        f"hooks/{name}", where=f"hooks.{hook}", name=hook, attr="hook", arg="ctx"
    )


def request(
    json: Any = None,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v1/chat/completions",
) -> HookRequest:
    return HookRequest(
        method=method, path=path, query=query or {}, headers=headers or {}, json=json
    )


ROUTE = HookRoute(key="POST /v1/chat/completions", upstream="openai", settlement="after-response")


def context(
    json: Any = None, *, hook: str = "onRequest", response: HookResponse | None = None
) -> HookContext:
    return HookContext(hook=hook, request=request(json), route=ROUTE, response=response)
