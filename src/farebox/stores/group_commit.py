"""Group commit: many callers' durable writes share one transaction (and one fsync).

Each pending settlement must be on disk before its settle call, but a commit per
request costs an fsync per request. Callers that arrive while a commit is under
way wait for the next one, which takes all of them at once: under load each
commit carries many rows, and no caller waits longer than about two commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Return once `item` is durably written (or raise the write's error)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_all())
        await done

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([item for item, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._committing = None
