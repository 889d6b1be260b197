"""Hook authors get real types: the examples pass mypy --strict, and mistakes do not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .support import EXAMPLES

mypy_api = pytest.importorskip("mypy.api")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(cache: Path, *files: Path) -> tuple[str, int]:
    args = ["--strict", "--no-error-summary", "--cache-dir", str(cache), *map(str, files)]
    stdout, stderr, status = mypy_api.run(args)
    return stdout + stderr, status


def test_the_examples_type_check_strictly(cache: Path) -> None:
    files = sorted([*EXAMPLES.glob("hooks/*.py"), *EXAMPLES.glob("pricing/*.py")])
    assert len(files) >= 9
    output, status = mypy(cache, *files)
    assert status == 0, output


def test_mistakes_in_a_hook_are_caught(tmp_path: Path, cache: Path) -> None:
    hook = tmp_path / "typo_hook.py"
    hook.write_text(
        textwrap.dedent(
            """
            from farebox import HookContext, Reject

            def hook(ctx: HookContext) -> Reject | None:
                if ctx.request.jsn:
                    return Reject("400", "x")
                if ctx.quote is not None and ctx.quote.amount > "100":
                    return None
                return None
            """
        )
    )
    output, status = mypy(cache, hook)
    assert status == 1
    assert '"HookRequest" has no attribute "jsn"; maybe "json"?' in output
    assert 'Argument 1 to "Reject" has incompatible type "str"; expected "int"' in output
    assert 'Unsupported operand types for > ("int" and "str")' in output
