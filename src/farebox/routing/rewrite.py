"""Building the upstream URL of a request, without ever leaving the base path.

Without a template the raw request path is forwarded as received. With one
("/v2/items/${params.id}/detail"), each `${params.NAME}` is replaced by the
percent-encoded parameter (every reserved character encoded, so a value can
add neither a segment, a query nor a fragment) and `${params.*}` by the
catch-all, segment by segment with its slashes kept. A template may carry a
literal query ("/chat?api-version=2024-06-01"); the request's query follows it.

Whatever the mode, a path that could step upward at the upstream ("." or ".."
segments, also percent-encoded, double-encoded, behind "\\" or ";") is refused
with a PathError, so `base_url`'s own path ("http://host/api") is a floor
nothing can climb out of. Paths are strings here; hand the result to the HTTP
client as already encoded (for aiohttp: `yarl.URL(target, encoded=True)`),
or it may re-encode or normalize it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote

from farebox.routing.keys import CATCH_ALL
from farebox.routing.paths import decode_segment, has_control_char, has_dot_segment

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_PARAM_REF = re.compile(r"params\.([A-Za-z_][A-Za-z0-9_]*|\*)\Z")
_SHOWN_MAX = 120


class PathError(ValueError):
    """A request path or parameter that cannot be forwarded safely (a 400).

    The message is safe to show the caller.
    """


class TemplateError(ValueError):
    """A route's `path` template that cannot be rendered: a config error, not the caller's."""


Part = tuple[str, str | None]  # (literal text, param name or None)


def upstream_target(
    base_url: str,
    template: str | None,
    request_path: str,
    params: Mapping[str, str],
    query: str,
) -> str:
    """The full upstream URL: base_url + (rewritten) path + query.

    `request_path` is the raw path as received (percent-encoded); `params` are
    the decoded values a RouteMatch holds; `query` is forwarded verbatim.
    """
    if template is None:
        path, template_query = _checked_raw_path(request_path), ""
    else:
        parts, template_query = _compile(template)
        path = _render(parts, request_path, params)
    queries = [q for q in (template_query, query) if q]
    return base_url.rstrip("/") + path + ("?" + "&".join(queries) if queries else "")


def template_params(template: str) -> frozenset[str]:
    """The parameter names a template refers to ("*" for the catch-all)."""
    parts, _ = _compile(template)
    return frozenset(name for _, name in parts if name is not None)


def check_template(template: str, param_names: Iterable[str], *, key: str) -> None:
    """Refuse, at startup, a template its route cannot fill or that climbs upward."""
    where = f'route "{key}": path "{template}"'
    if not template.startswith("/"):
        raise TemplateError(f'{where} must start with "/", like "/v1/items/${{params.id}}"')
    try:
        parts, query = _compile(template)
    except TemplateError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    # Parameters stand in as "x": only the template's own text is judged here.
    literal_path = "".join(text if name is None else "x" for text, name in parts)
    if "#" in literal_path or "#" in query or has_dot_segment(literal_path):
        raise TemplateError(f'{where} must not contain "#" or "." / ".." segments')
    available = set(param_names)
    for name in sorted(template_params(template) - available):
        shown = "*" if name == CATCH_ALL else f":{name}"
        have = ", ".join(f"${{params.{n}}}" for n in sorted(available)) or "none"
        raise TemplateError(
            f'{where} uses ${{params.{name}}} but the route key has no "{shown}" '
            f"segment (parameters available: {have})"
        )


@lru_cache(maxsize=4096)
def _compile(template: str) -> tuple[tuple[Part, ...], str]:
    """Split a template into literal/parameter parts and its literal query."""
    path, _, query = template.partition("?")
    if _PLACEHOLDER.search(query):
        raise TemplateError("parameters can only be used in the path, not in the query")
    parts: list[Part] = []
    end = 0
    for found in _PLACEHOLDER.finditer(path):
        ref = _PARAM_REF.match(found.group(1))
        if ref is None:
            raise TemplateError(
                f'"{found.group(0)}" is not a parameter reference like "${{params.id}}" '
                'or "${params.*}"'
            )
        parts.append((path[end : found.start()], None))
        parts.append(("", ref.group(1)))
        end = found.end()
    parts.append((path[end:], None))
    if parts[0][0][:1] != "/":  # a relative template must not extend the base's last segment
        parts.insert(0, ("/", None))
    return tuple(p for p in parts if p != ("", None)), query


def _render(parts: tuple[Part, ...], request_path: str, params: Mapping[str, str]) -> str:
    out: list[str] = []
    for text, name in parts:
        if name is None:
            out.append(text)
        elif name == CATCH_ALL:
            out.append(_render_catch_all(request_path, _param(params, name)))
        else:
            out.append(_encode(name, _param(params, name)))
    path = "".join(out)
    if has_dot_segment(path):  # neighbouring values may join into "..": check the whole
        raise PathError(f'the path parameters would form a "." or ".." segment: {_show(path)}')
    return path


def _param(params: Mapping[str, str], name: str) -> str:
    try:
        return params[name]
    except KeyError:
        raise TemplateError(
            f"the path template uses ${{params.{name}}} but the request has no such parameter"
        ) from None


def _encode(name: str, value: str) -> str:
    what = "the catch-all path" if name == CATCH_ALL else f'the path parameter "{name}"'
    if value == "":
        raise PathError(f"{what} is empty")
    if has_control_char(value):
        raise PathError(f"{what} contains a control character")
    if has_dot_segment(value):
        raise PathError(f'{what} ({_show(value)}) is or contains a "." or ".." segment')
    return quote(value, safe="")


def _render_catch_all(request_path: str, value: str) -> str:
    segments = _catch_all_segments(request_path, value)
    return "/".join(_encode(CATCH_ALL, s) if s else "" for s in segments)


def _catch_all_segments(request_path: str, value: str) -> list[str]:
    """The decoded segments of the catch-all, refusing encoded slashes inside one.

    The decoded value alone cannot tell "a%2Fb" from "a/b", so the raw segments
    are recovered from the end of the raw path: only one suffix of it decodes to
    `value` (each extra segment makes the text longer). Without one (params not
    from this path), the value's own slashes are taken as separators.
    """
    raw = _raw_suffix(request_path, value)
    if raw is None:
        return value.split("/") if value else []
    decoded = [decode_segment(s) for s in raw]
    for segment in decoded:
        if "/" in segment:
            raise PathError(
                "an encoded slash (%2F) inside a segment of the catch-all path cannot be "
                "forwarded; send the slash unencoded"
            )
    return decoded


def _raw_suffix(request_path: str, value: str) -> list[str] | None:
    if not value:
        return []
    raw = request_path.split("/")[1:]
    decoded: list[str] = []
    length = -1
    for count in range(1, len(raw) + 1):
        decoded.append(decode_segment(raw[-count]))
        length += len(decoded[-1]) + 1
        if length == len(value) and "/".join(reversed(decoded)) == value:
            return raw[-count:]
        if length > len(value):
            return None
    return None


def _checked_raw_path(path: str) -> str:
    if not path.startswith("/"):
        raise PathError(f'the request path must start with "/": {_show(path)}')
    if "?" in path or "#" in path or " " in path or has_control_char(path):
        raise PathError(
            f"the request path contains a space, control character, ? or #: {_show(path)}"
        )
    if has_dot_segment(path):
        raise PathError(
            f'the request path has a "." or ".." segment (possibly percent-encoded), which '
            f"is never forwarded: {_show(path)}"
        )
    return path


def _show(text: str) -> str:
    shown = text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX] + "..."
    return repr(shown)
