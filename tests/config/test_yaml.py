"""YAML-level errors name the file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from farebox.config import ConfigError, load_config, parse_config

from .support import WALLET, problems_of


def test_syntax_error_gives_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "farebox.yaml"
    path.write_text('upstreams:\n  api:\n    url: https://a.example\n    headers: {"a": 1\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}, line 5, column 1: invalid YAML: ")
    assert caught.value.source == str(path)


def test_unquoted_colon_value_gets_a_hint() -> None:
    text = "upstreams:\n  api:\n    url: https://a.example\n    note: a: b\n"
    assert problems_of(text) == [
        "<string>, line 4, column 12: invalid YAML: mapping values are not allowed here "
        '(a value that contains ": " needs quotes)'
    ]


def test_tab_indentation_gets_a_hint() -> None:
    (problem,) = problems_of('routes:\n\t"GET /a": {}\n')
    assert problem.startswith("<string>, line 2, column 1: invalid YAML: found character")
    assert problem.endswith("(indent with spaces, not tabs)")


def test_source_name_is_used_for_text() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("a: [1\n", source="inline.yaml", env={})
    assert caught.value.problems[0].startswith("inline.yaml, line 2, column 1: invalid YAML: ")


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    text = (
        "upstreams:\n  api: {url: https://a.example}\nroutes:\n"
        '  "GET /a": {upstream: api, price: "$0"}\n'
        '  "GET /a": {upstream: api, price: "$1"}\n'
    )
    assert problems_of(text) == [
        '<string>, line 5, column 3: invalid YAML: duplicate key "GET /a" '
        "(first written on line 4); keep one of them"
    ]


def test_merge_keys_may_override_what_they_merge() -> None:
    text = (
        f'wallets: {{base: "{WALLET}"}}\n'
        "upstreams:\n  api: {url: https://a.example}\nroutes:\n"
        '  "GET /a": &paid {upstream: api, price: "$0.01"}\n'
        '  "GET /b": {<<: *paid, price: "$0.02"}\n'
    )
    routes = parse_config(text, env={}).config.routes
    assert (routes["GET /a"].price, routes["GET /b"].price) == (10_000, 20_000)


def test_unquoted_hex_address_stays_text() -> None:
    # YAML would read 0x... as a number and lose the checksum's letter case.
    address = "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
    text = (
        f"wallets:\n  base-sepolia: {address}\n"
        "upstreams:\n  api: {url: https://a.example}\n"
        'routes:\n  "GET /a": {upstream: api, price: "$0.01"}\n'
    )
    assert parse_config(text, env={}).config.wallets == {"eip155:84532": address}


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", "a single value")]
)
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    assert problems_of(text) == [
        "<string>: the top level must be a mapping of settings (routes:, upstreams:, ...), "
        f"not {kind}"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}\n"])
def test_an_empty_config_asks_for_routes(text: str) -> None:
    assert problems_of(text) == [
        'routes: no routes; add at least one, like "GET /data": {upstream: api, price: "$0.01"}'
    ]
