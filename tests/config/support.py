"""Helpers for config tests: build small YAML configs and collect their problems."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from farebox.config import ConfigError, parse_config
from farebox.config.schema import Config

WALLET = "0x1111111111111111111111111111111111111111"
OTHER = "0x2222222222222222222222222222222222222222"

UPSTREAMS = """\
upstreams:
  api:
    url: https://api.example.com
"""

BASE = f'wallets:\n  base-sepolia: "{WALLET}"\n' + UPSTREAMS
"""One wallet (base-sepolia) and one upstream ("api")."""

FREE_ROUTE = 'routes:\n  "GET /y": {upstream: api, price: "$0"}\n'
"""A routes block with one valid free route, for tests about other sections."""


def config(routes: str, *, head: str = BASE, env: Mapping[str, str] | None = None) -> Config:
    """A valid config: ``head`` (wallets + one upstream "api") and a routes block."""
    return parse_config(_text(head, routes), env=env or {}).config


def problems(routes: str, *, head: str = BASE, env: Mapping[str, str] | None = None) -> list[str]:
    """The problems of a config expected to be invalid."""
    return problems_of(_text(head, routes), env=env)


def problems_of(text: str, *, env: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env=env or {})
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def _text(head: str, routes: str) -> str:
    return textwrap.dedent(head) + "routes:\n" + textwrap.indent(textwrap.dedent(routes), "  ")
