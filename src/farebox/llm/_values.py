"""Small readers over decoded JSON shared by the llm modules (no API knowledge here)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

JSON_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def shown(value: object, limit: int = 40) -> str:
    """A short JSON rendering of a value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def described(value: object) -> str:
    """A value named for a message: "null", or e.g. "the number 4"."""
    return "null" if value is None else f"the {json_type(value)} {shown(value)}"


def count(value: object) -> int | None:
    """A token count: a non-negative integer (an integral float is accepted), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


def first(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first non-null value among keys (Gemini accepts camelCase and snake_case)."""
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return None


def utf8_len(text: str) -> int:
    """Bytes of text in UTF-8; lone surrogates (possible from JSON escapes) count as 3."""
    return len(text.encode("utf-8", errors="surrogatepass"))


def compact_json_len(value: object) -> int:
    """Byte length of the compact JSON of value (keys, numbers, punctuation included)."""
    return utf8_len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def text_bytes(
    roots: Iterable[object],
    *,
    skip: frozenset[str] = frozenset(),
    structured: frozenset[str] = frozenset(),
) -> int:
    """UTF-8 bytes of every string under roots, ignoring dict keys in `skip`.

    Values under a key in `structured` (generated tool arguments given as objects) count as
    their compact JSON, since the model generated the keys and numbers too. Iterative, so a
    deeply nested body cannot exhaust the Python stack.
    """
    total = 0
    stack: list[object] = list(roots)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += utf8_len(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key in skip:
                    continue
                if key in structured and isinstance(value, dict | list):
                    total += compact_json_len(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return total


def dicts_under(roots: Iterable[object]) -> Iterable[dict[str, Any]]:
    """Every dict nested under roots (roots included), depth-first, without recursion."""
    stack: list[object] = list(roots)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
