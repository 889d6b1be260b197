"""Reading YAML text, with errors that name the file, line and column."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode

from farebox.config.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"

_HINTS = {
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
    "mapping values are not allowed here": 'a value that contains ": " needs quotes',
    "found undefined alias": "an *alias needs a matching &anchor above it",
}


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which PyYAML would silently collapse."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            # Merge keys ("<<: *base") may legitimately repeat keys they override.
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            identity = (key_node.tag, key_node.value)
            if identity in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f'duplicate key "{key_node.value}" '
                    f"(first written on line {first_line[identity]}); keep one of them",
                    key_node.start_mark,
                )
            first_line[identity] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


# YAML reads an unquoted 0x... as a hex number, which would turn an address
# into an int and lose its checksum case. No config value is a hex number, so
# 0x... stays text.
_StrictLoader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.yaml_implicit_resolvers["0"].insert(
    0, ("tag:yaml.org,2002:str", re.compile(r"^0x[0-9a-fA-F_]+$"))
)


def read_yaml(text: str, source: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        raise ConfigError([_located(error, source)], source=source) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{source}: not valid YAML: {error}"], source=source) from None


def _located(error: yaml.MarkedYAMLError, source: str) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "not valid YAML"
    hint = next((h for start, h in _HINTS.items() if problem.startswith(start)), None)
    where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
    return f"{where}: invalid YAML: {problem}" + (f" ({hint})" if hint else "")
