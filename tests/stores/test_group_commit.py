"""Group commit: concurrent durable writes share transactions, and nobody returns early."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from farebox.stores.group_commit import GroupCommit


class SlowStore:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def write(self, items: Sequence[int]) -> None:
        await asyncio.sleep(0.01)  # a commit takes a while: others queue up meanwhile
        if self.fail_on is not None and self.fail_on in items:
            raise OSError("disk full")
        self.batches.append(list(items))


async def test_concurrent_writes_share_commits_and_all_land() -> None:
    store = SlowStore()
    commits = GroupCommit(store.write)
    await asyncio.gather(*(commits.submit(i) for i in range(100)))
    written = sorted(i for batch in store.batches for i in batch)
    assert written == list(range(100))
    assert len(store.batches) < 10  # not one commit per write


async def test_a_caller_returns_only_after_its_own_item_is_written() -> None:
    store = SlowStore()
    commits = GroupCommit(store.write)
    first = asyncio.create_task(commits.submit(1))
    await asyncio.sleep(0)  # the first commit is under way
    await commits.submit(2)  # must wait for the next commit, not the running one
    assert any(2 in batch for batch in store.batches)
    await first


async def test_a_failed_commit_fails_every_caller_in_it_and_later_ones_still_work() -> None:
    store = SlowStore(fail_on=3)
    commits = GroupCommit(store.write)
    results = await asyncio.gather(*(commits.submit(i) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)  # one batch: all share its fate
    store.fail_on = None
    await commits.submit(9)
    assert store.batches[-1] == [9]


@pytest.mark.parametrize("n", [1, 2])
async def test_small_loads_commit_at_once(n: int) -> None:
    store = SlowStore()
    commits = GroupCommit(store.write)
    await asyncio.gather(*(commits.submit(i) for i in range(n)))
    assert sum(len(b) for b in store.batches) == n
