"""Finding and loading config files, the shipped example, and the summary line."""

from __future__ import annotations

from pathlib import Path

import pytest

from farebox.config import (
    DEFAULT_CONFIG_FILES,
    ConfigError,
    find_config,
    load_config,
    parse_config,
    summarize,
)
from farebox.config.route_keys import parse_route_key

from .support import BASE, FREE_ROUTE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tollbooth.config.yaml"
VALID = BASE + FREE_ROUTE


# -- find_config -------------------------------------------------------------------


def test_default_names() -> None:
    assert DEFAULT_CONFIG_FILES == ("farebox.yaml", "tollbooth.config.yaml")


def test_explicit_path_wins(tmp_path: Path) -> None:
    (tmp_path / "farebox.yaml").write_text(VALID)
    (tmp_path / "mine.yaml").write_text(VALID)
    assert find_config("mine.yaml", cwd=tmp_path) == tmp_path / "mine.yaml"
    absolute = tmp_path / "mine.yaml"
    assert find_config(str(absolute), cwd=Path("/")) == absolute


def test_explicit_path_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "farebox.yaml").write_text(VALID)
    with pytest.raises(ConfigError) as caught:
        find_config("missing.yaml", cwd=tmp_path)
    assert str(caught.value) == f'config file "{tmp_path / "missing.yaml"}" does not exist'


def test_farebox_yaml_before_tollbooth_config(tmp_path: Path) -> None:
    (tmp_path / "tollbooth.config.yaml").write_text(VALID)
    assert find_config(None, cwd=tmp_path) == tmp_path / "tollbooth.config.yaml"
    (tmp_path / "farebox.yaml").write_text(VALID)
    assert find_config(None, cwd=tmp_path) == tmp_path / "farebox.yaml"


def test_neither_file_names_both(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        find_config(None, cwd=tmp_path)
    assert str(caught.value) == (
        f"no config file: neither farebox.yaml nor tollbooth.config.yaml exists in "
        f"{tmp_path.resolve()}; create one (examples/tollbooth.config.yaml is a start) "
        "or pass --config PATH"
    )


def test_without_cwd_the_process_directory_is_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "farebox.yaml").write_text(VALID)
    found = find_config(None)
    assert found.resolve() == (tmp_path / "farebox.yaml").resolve()


# -- load_config / parse_config -------------------------------------------------------


def test_load_records_path_and_base_dir(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "farebox.yaml"
    path.write_text(VALID)
    loaded = load_config(path, env={})
    assert loaded.path == path
    assert loaded.base_dir == path.resolve().parent
    assert list(loaded.config.routes) == ["GET /y"]


def test_load_uses_the_process_environment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "farebox.yaml"
    path.write_text(VALID.replace("api.example.com", "${FAREBOX_TEST_HOST}"))
    monkeypatch.setenv("FAREBOX_TEST_HOST", "from-env.example")
    assert load_config(path).config.upstreams["api"].url == "https://from-env.example"


def test_load_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "farebox.yaml"
    path.write_text(VALID.replace('"$0"', "abc"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert caught.value.source == str(path)
    assert caught.value.problems == ['routes."GET /y".price: "abc" is not a price like "$0.01"']


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert str(caught.value) == f'config file "{tmp_path / "nope.yaml"}" does not exist'


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "farebox.yaml"
    path.write_bytes(b"routes: \xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: not UTF-8 text; save it as UTF-8"


def test_a_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f'cannot read "{tmp_path}": ')


def test_parse_config_base_dir(tmp_path: Path) -> None:
    assert parse_config(VALID, env={}).base_dir == Path.cwd()
    assert parse_config(VALID, base_dir=tmp_path, env={}).base_dir == tmp_path
    assert parse_config(VALID, env={}).path is None


# -- the shipped example --------------------------------------------------------------


def test_the_example_config_parses() -> None:
    loaded = load_config(EXAMPLE, env={"OPENAI_API_KEY": "sk-test"})
    config = loaded.config
    assert config.upstreams["openai"].headers == {"Authorization": "Bearer sk-test"}
    assert config.upstreams["weather"].url == "https://api.weather.example"
    assert config.facilitator == "local"
    assert config.wallets == {"eip155:84532": "0x1111111111111111111111111111111111111111"}

    routes = config.routes
    assert routes["POST /v1/embeddings"].price == 1_000
    chat = routes["POST /v1/chat/completions"]
    assert [(r.where, r.price) for r in chat.match] == [
        ({"body.model": "gpt-4o-mini*"}, 2_000),
        ({"body.model": "gpt-4o*"}, 20_000),
    ]
    assert chat.fallback == 50_000
    assert chat.settlement == "after-response"
    weather = routes["GET /weather/:city"]
    assert weather.path == "/v1/current/${params.city}"
    assert parse_route_key("GET /weather/:city").params == ("city",)
    assert weather.price == 500
    assert routes["GET /v1/models"].price == 0


def test_the_example_needs_its_api_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(EXAMPLE, env={})
    assert caught.value.problems == [
        "upstreams.openai.headers.Authorization: environment variable OPENAI_API_KEY is not set"
    ]


# -- summarize ------------------------------------------------------------------------


def test_summary_of_the_example() -> None:
    loaded = load_config(EXAMPLE, env={"OPENAI_API_KEY": "sk-test"})
    assert summarize(loaded) == f"{EXAMPLE}: 2 upstreams, 4 routes (3 paid, 1 free)"


def test_summary_uses_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("farebox.yaml").write_text(VALID)
    loaded = load_config(find_config(None), env={})
    assert summarize(loaded) == "farebox.yaml: 1 upstream, 1 route (0 paid, 1 free)"


def test_summary_counts_defaults_price_as_paid() -> None:
    routes = '  "GET /a": {upstream: api}\n  "GET /b": {upstream: api, price: "$0"}\n'
    text = BASE + 'defaults: {price: "$0.01"}\nroutes:\n' + routes
    assert summarize(parse_config(text, env={})) == "config: 1 upstream, 2 routes (1 paid, 1 free)"
