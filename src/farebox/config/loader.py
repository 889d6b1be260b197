"""From a file (or text) to a validated Config, or one ConfigError listing every problem.

The steps: read YAML -> interpolate ${ENV} -> validate the schema -> check
what spans several fields. Problems from all steps are reported together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from farebox.config.checks import check_payments, check_structure
from farebox.config.env import interpolate
from farebox.config.errors import ConfigError, Problem
from farebox.config.messages import problems_from
from farebox.config.paths import document_order
from farebox.config.resolve import is_paid
from farebox.config.schema import Config
from farebox.config.yaml_text import read_yaml

DEFAULT_CONFIG_FILES = ("farebox.yaml", "tollbooth.config.yaml")


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path | None
    """The file it came from; None when parsed from text."""
    base_dir: Path
    """Where relative paths in the config (hooks, ledgers) are resolved from."""


def find_config(explicit: str | None, cwd: Path | None = None) -> Path:
    """The --config path if given, else the first of DEFAULT_CONFIG_FILES in ``cwd``."""
    if explicit is not None:
        path = cwd / explicit if cwd is not None else Path(explicit)
        if not path.is_file():
            raise ConfigError([f'config file "{path}" does not exist'], source=str(path))
        return path
    for name in DEFAULT_CONFIG_FILES:
        path = cwd / name if cwd is not None else Path(name)
        if path.is_file():
            return path
    folder = (cwd or Path.cwd()).resolve()
    first, second = DEFAULT_CONFIG_FILES
    raise ConfigError(
        [
            f"no config file: neither {first} nor {second} exists in {folder}; "
            "create one (examples/tollbooth.config.yaml is a start) or pass --config PATH"
        ]
    )


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> LoadedConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f'config file "{path}" does not exist'], source=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text; save it as UTF-8"], source=str(path)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError([f'cannot read "{path}": {reason}'], source=str(path)) from None
    config = _validate(text, str(path), os.environ if env is None else env)
    return LoadedConfig(config=config, path=path, base_dir=path.resolve().parent)


def parse_config(
    text: str,
    *,
    source: str = "<string>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadedConfig:
    config = _validate(text, source, os.environ if env is None else env)
    return LoadedConfig(config=config, path=None, base_dir=base_dir or Path.cwd())


def summarize(loaded: LoadedConfig) -> str:
    """One line for startup logs: 'farebox.yaml: 2 upstreams, 5 routes (3 paid, 2 free)'."""
    config = loaded.config
    paid = sum(is_paid(config, route) for route in config.routes.values())
    name = str(loaded.path) if loaded.path else "config"
    upstreams = _count(len(config.upstreams), "upstream")
    routes = _count(len(config.routes), "route")
    return f"{name}: {upstreams}, {routes} ({paid} paid, {len(config.routes) - paid} free)"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _validate(text: str, source: str, env: Mapping[str, str]) -> Config:
    data = read_yaml(text, source)
    if data is None:
        data = {}  # an empty file: report what is missing rather than "not a mapping"
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        expected = "a mapping of settings (routes:, upstreams:, ...)"
        problem = f"{source}: the top level must be {expected}, not {kind}"
        raise ConfigError([problem], source=source)
    values, problems = interpolate(data, env)
    assert isinstance(values, dict)  # interpolation keeps the shape of the data
    config, schema_problems = _validate_schema(values)
    problems += _not_under(schema_problems, [p.path for p in problems])
    problems += check_structure(values)
    if config is not None:
        problems += check_payments(config)
    if problems:
        problems.sort(key=lambda p: document_order(values, p.path))
        raise ConfigError(problems, source=source)
    assert config is not None
    return config


def _validate_schema(data: dict[str, object]) -> tuple[Config | None, list[Problem]]:
    try:
        # by_name=False: the YAML must use the documented names (payTo, not pay_to).
        return Config.model_validate(data, by_alias=True, by_name=False), []
    except ValidationError as error:
        return None, problems_from(error, Config)


def _not_under(problems: list[Problem], reported: list[tuple[str | int, ...]]) -> list[Problem]:
    # A value whose ${VAR} is missing would fail validation too; that echo adds nothing.
    return [p for p in problems if not any(p.path[: len(r)] == r for r in reported)]
