"""Small facts about raw request paths, shared by matching and rewriting."""

from __future__ import annotations

from urllib.parse import unquote

_DOTS = frozenset({".", ".."})
_MAX_DECODE_ROUNDS = 4


def split_raw_path(path: str) -> tuple[list[str], bool]:
    """Split a raw path into its segments and whether it ended with a slash.

    "/a/b/" -> (["a", "b"], True); "/" -> ([], False). One trailing slash is not a
    segment of its own, so "/items/" matches the route "/items".
    """
    trailing = len(path) > 1 and path.endswith("/")
    body = path[1:-1] if trailing else path[1:]
    return (body.split("/") if body else []), trailing


def decode_segment(raw: str) -> str:
    """Percent-decode one segment, once (invalid UTF-8 becomes U+FFFD)."""
    return unquote(raw, errors="replace") if "%" in raw else raw


def has_dot_segment(text: str) -> bool:
    """Could `text`, read by a lenient upstream, step to "." or ".."?

    Checks the text and each further percent-decoding of it (double-encoded
    "%252e%252e" included), split on "/" and on "\\" (which some servers treat
    as a separator), ignoring a ";param" suffix (Tomcat reads "..;" as "..").
    Strict on purpose: such values have no honest use in a path.
    """
    for _ in range(_MAX_DECODE_ROUNDS):
        if _dot_part(text):
            return True
        if "%" not in text:
            return False
        decoded = unquote(text, errors="replace")
        if decoded == text:
            return False
        text = decoded
    return True  # still encoded after several rounds: refuse rather than guess


def has_control_char(text: str) -> bool:
    """NUL, C0 controls and DEL: never meaningful in a path."""
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


def _dot_part(text: str) -> bool:
    if "." not in text:
        return False
    parts = text.replace("\\", "/").split("/")
    return any(part.split(";", 1)[0] in _DOTS for part in parts)
