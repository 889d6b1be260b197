"""Config paths written the way the YAML spells them: routes."GET /data".match[0].price."""

from __future__ import annotations

import re

ConfigPath = tuple[str | int, ...]
"""Keys (str) and list indexes (int) from the top of the config down."""

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: ConfigPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + _format_key(part)
    return text


def _format_key(key: str) -> str:
    # Quote anything a reader could misparse: spaces, dots, slashes, colons, an empty key.
    return key if _PLAIN_KEY.fullmatch(key) else f'"{key}"'


def document_order(data: object, path: ConfigPath) -> tuple[int, ...]:
    """A sort key placing ``path`` where it is written in ``data`` (missing keys last)."""
    key: list[int] = []
    for part in path:
        if isinstance(data, dict):
            keys = [str(k) for k in data]
            index = keys.index(str(part)) if str(part) in keys else len(keys)
            data = data.get(part, data.get(str(part))) if index < len(keys) else None
            key.append(index)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            key.append(part)
            data = data[part]
        else:
            key.append(0)
            data = None
    return tuple(key)
