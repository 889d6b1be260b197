"""The README's configuration reference is a config farebox accepts, as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from farebox.app import build_app
from farebox.config.loader import load_config

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = "0x1111111111111111111111111111111111111111"


def reference_block() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```yaml\n(gateway:.*?)```", text, re.S)
    assert found, "README.md lost its configuration reference block"
    return found.group(1)


def test_the_configuration_reference_builds_a_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    (tmp_path / "hooks").mkdir()
    shutil.copy(ROOT / "examples/hooks/enforce_model_allowlist.py", tmp_path / "hooks")
    config = tmp_path / "farebox.yaml"
    config.write_text(reference_block().replace('"0x..."', f'"{ADDRESS}"'))
    gateway = build_app(load_config(config))
    assert list(gateway.runtime.routes) == ["POST /items/:id"]
