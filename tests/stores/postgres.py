"""A throwaway PostgreSQL schema per test, on the local server.

Tests that need PostgreSQL skip when it is unreachable on a developer machine, and fail
loudly under CI (CI is set), where a missing server means the suite proves nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

POSTGRES_URL = os.environ.get("FAREBOX_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


async def require_postgres() -> None:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI must run it; see .ci/run)")
        pytest.skip(message)
    await conn.close()


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """A new empty schema name, dropped with everything in it afterwards."""
    await require_postgres()
    schema = f"farebox_test_{uuid.uuid4().hex[:12]}"
    try:
        yield schema
    finally:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()
