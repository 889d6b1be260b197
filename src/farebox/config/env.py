"""${ENV_VAR} interpolation in config values (never in keys).

Supported forms, in any string value:
  ${NAME}            the variable's value; a problem when it is not set
  ${NAME:-default}   the default when the variable is unset or empty
  $${...}            a literal "${...}"
${params.NAME} is left alone: a route's path rewrite fills it in per request.
So is tollbooth's ${query.NAME}, which the rewrite check reports as not
supported yet (rather than as a missing environment variable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from farebox.config.errors import Problem
from farebox.config.paths import ConfigPath

RUNTIME_PREFIXES = ("params.", "query.")

_REFERENCE = re.compile(r"\$(\$?)\{([^{}]*)\}")
_NAME_AND_DEFAULT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.S)


def interpolate(data: object, env: Mapping[str, str]) -> tuple[object, list[Problem]]:
    """Return the data with every reference replaced, and a problem per unusable one.

    An unusable reference is replaced by "" so validation can still run on
    the rest of the config; callers should drop validation problems at the
    same paths, which only repeat the first one.
    """
    problems: list[Problem] = []
    return _walk(data, (), env, problems), problems


def _walk(value: object, path: ConfigPath, env: Mapping[str, str], out: list[Problem]) -> object:
    if isinstance(value, str):
        return _substitute(value, path, env, out)
    if isinstance(value, dict):
        return {key: _walk(item, (*path, str(key)), env, out) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), env, out) for index, item in enumerate(value)]
    return value


def _substitute(text: str, path: ConfigPath, env: Mapping[str, str], out: list[Problem]) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped, inside = match.group(1), match.group(2)
        if escaped:
            return "${" + inside + "}"
        if inside.startswith(RUNTIME_PREFIXES):
            return match.group(0)
        reference = _NAME_AND_DEFAULT.fullmatch(inside)
        if reference is None:
            out.append(Problem(path, _bad_reference(inside)))
            return ""
        name, default = reference.group("name"), reference.group("default")
        value = env.get(name)
        if default is not None and not value:
            return default
        if value is None:
            out.append(Problem(path, f"environment variable {name} is not set"))
            return ""
        return value

    return _REFERENCE.sub(replace, text)


def _bad_reference(inside: str) -> str:
    if "." in inside.partition(":-")[0]:
        # Most likely meant for a path rewrite, which is filled in per request.
        return (
            f"${{{inside}}} is not an environment variable reference; a route's path rewrite "
            "may use ${params.NAME}"
        )
    return (
        f"${{{inside}}} is not an environment variable reference; write ${{NAME}} or "
        "${NAME:-default} (NAME: letters, digits and _), or $${...} for a literal ${...}"
    )
