"""pydantic's validation errors, rewritten as problems in the config's own words.

pydantic reports a location (a tuple of field names, dict keys, list indexes
and union tags) and an error type. We walk the same location down the schema
so a path shows YAML aliases and no union tags, and so an unknown key can be
compared with the keys that are allowed at that level.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from farebox.config.errors import Problem
from farebox.config.paths import ConfigPath
from farebox.config.schema import NOT_YET, NOT_YET_SUPPORTED

_KEY_MARKER = "[key]"  # pydantic's loc marker for an error about a dict key itself


@dataclass(frozen=True)
class _Location:
    path: ConfigPath
    owner: type[BaseModel] | None
    """The model whose key the path ends at (also for an unknown key)."""
    field: FieldInfo | None


def problems_from(error: ValidationError, schema: type[BaseModel]) -> list[Problem]:
    problems = []
    for detail in error.errors():
        where = _locate(schema, detail["loc"])
        problems.append(Problem(where.path, _describe(detail, where)))
    return problems


def _locate(schema: type[BaseModel], loc: tuple[int | str, ...]) -> _Location:
    path: list[str | int] = []
    current: Any = schema
    owner: type[BaseModel] | None = None
    field: FieldInfo | None = None
    after_dict_key = False
    for item in loc:
        if after_dict_key and item == _KEY_MARKER:
            break  # the error is about the key just added to the path
        current = _unwrap(current)
        owner, field, after_dict_key = None, None, False
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner, field = current, _field(current, item)
            path.append(str(item))
            current = field.annotation if field else None
        elif get_origin(current) is dict:
            path.append(str(item))
            current, after_dict_key = get_args(current)[1], True
        elif get_origin(current) is list:
            path.append(item)
            current = get_args(current)[0]
        elif get_origin(current) in (Union, types.UnionType):
            current = _branch(current, item)  # a union tag: not part of the YAML path
        else:
            path.append(item)
            current = None
    return _Location(tuple(path), owner, field)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007
        else:
            return annotation


def _field(model: type[BaseModel], key: int | str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (info.alias, name):
            return info
    return None


def _branch(union: Any, tag: int | str) -> Any:
    for member in get_args(union):
        tags = [m.tag for m in getattr(member, "__metadata__", ()) if isinstance(m, Tag)]
        if tag in tags or getattr(_unwrap(member), "__name__", None) == tag:
            return member
    return None


def _describe(detail: ErrorDetails, where: _Location) -> str:
    kind, value, ctx = detail["type"], detail["input"], detail.get("ctx", {})
    if kind in ("value_error", "assertion_error"):
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_key(str(where.path[-1]), where.owner)
    if kind == "missing":
        hint = where.field.description if where.field else None
        return f"required; set it to {hint}" if hint else "required"
    if kind in _EXPECTED:
        return f"{_show(value)} is not valid here; {_EXPECTED[kind]}"
    if kind in _NOT_A:
        return _describe_type(kind, value)
    return _describe_limit(kind, value, ctx) or _fallback(detail)


def _describe_type(kind: str, value: object) -> str:
    expected = _NOT_A[kind]
    if value is None or isinstance(value, dict | list):
        return f"{_show(value)} is not valid here; expected {expected}"
    if kind == "string_type":
        return f"{_show(value)} is not text; put it in quotes"
    return f"{_show(value)} is not {expected}"


_NOT_A = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
}

_EXPECTED = {
    "model_type": "expected a mapping of settings (key: value lines)",
    "model_attributes_type": "expected a mapping of settings (key: value lines)",
    "dict_type": "expected a mapping (key: value lines)",
    "list_type": 'expected a list (one "- " line per item)',
}


def _describe_limit(kind: str, value: object, ctx: dict[str, Any]) -> str | None:
    shown = _show(value)
    if kind == "greater_than":
        return f"{shown} is too small; it must be more than {_show(ctx['gt'])}"
    if kind == "greater_than_equal":
        return f"{shown} is too small; it must be at least {_show(ctx['ge'])}"
    if kind == "less_than":
        return f"{shown} is too large; it must be less than {_show(ctx['lt'])}"
    if kind == "less_than_equal":
        return f"{shown} is too large; it must be at most {_show(ctx['le'])}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s)"
    if kind == "literal_error":
        return f"{shown} is not a valid choice; use {ctx['expected'].replace(chr(39), chr(34))}"
    return None


def _fallback(detail: ErrorDetails) -> str:
    # Any error type not translated above: keep pydantic's sentence, minus its
    # "Input should be" phrasing.
    text = detail["msg"].replace("Input should be", "it should be")
    return f"{_show(detail['input'])} is not valid: {text}"


def _unknown_key(key: str, owner: type[BaseModel] | None) -> str:
    if owner is None:
        return "unknown key"
    if key in NOT_YET_SUPPORTED.get(owner, frozenset()):
        return NOT_YET
    allowed = [info.alias or name for name, info in owner.model_fields.items()]
    by_lower = {a.lower().replace("_", ""): a for a in allowed}
    close = difflib.get_close_matches(key.lower().replace("_", ""), list(by_lower), n=1)
    if close:
        return f'unknown key; did you mean "{by_lower[close[0]]}"?'
    return "unknown key; allowed keys here: " + ", ".join(allowed)


def _show(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a limit of 0.0 reads better as 0
    return repr(value)
