"""Cutting a byte stream into whole messages: SSE events, or the elements of a JSON array
(Gemini's streamGenerateContent without ?alt=sse). Bytes may arrive split anywhere."""

from __future__ import annotations

import json
import re
from typing import Any

_LINE_END = re.compile(rb"[\r\n]")
_SSE_LINE = re.compile(r"\r\n|\r|\n")


class SseFramer:
    """Splits bytes into raw SSE events, each ending with its blank line (CRLF, LF or CR)."""

    def __init__(self) -> None:
        self._pending = bytearray()  # bytes of the event not yet complete
        self._scan_from = 0  # start of the first line of _pending not yet seen whole

    def push(self, chunk: bytes) -> list[bytes]:
        self._pending += chunk
        buf, events, event_start, pos = self._pending, [], 0, self._scan_from
        while (found := _LINE_END.search(buf, pos)) is not None:
            end = found.end()
            if buf[found.start()] == 0x0D:
                if end == len(buf):
                    break  # a CR may be the first half of CRLF: wait for the next byte
                if buf[end] == 0x0A:
                    end += 1
            line_was_empty = found.start() == pos
            pos = end
            if line_was_empty:
                events.append(bytes(buf[event_start:pos]))
                event_start = pos
        del buf[:event_start]
        self._scan_from = pos - event_start
        return events

    def rest(self) -> bytes:
        """The bytes of an unfinished last event (the stream ended without a blank line)."""
        rest, self._pending, self._scan_from = bytes(self._pending), bytearray(), 0
        return rest


def sse_data(event: bytes) -> str | None:
    """The data of a raw SSE event (data lines joined by newlines), or None when it has none."""
    data: list[str] = []
    for line in _SSE_LINE.split(event.decode("utf-8", errors="replace")):
        if line.startswith("data"):
            field, _, value = line.partition(":")
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
    return "\n".join(data) if data else None


def json_object(text: str | bytes | None) -> dict[str, Any] | None:
    """text parsed as a JSON object, or None (e.g. "[DONE]", a keep-alive, malformed data)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


_IN_STRING = re.compile(rb'["\\]')
_OUTSIDE_STRING = re.compile(rb'["{}\[\]]')


class JsonArrayFramer:
    """Yields the raw bytes of each top-level element object of a streamed JSON array.

    Only the structural ASCII bytes matter, and UTF-8 never uses them inside a multi-byte
    character, so scanning bytes is safe at any split.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._element_start: int | None = None

    def push(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        elements: list[bytes] = []
        while self._pos < len(self._buf):
            if not self._step(elements):
                break
        self._drop_consumed()
        return elements

    def _step(self, elements: list[bytes]) -> bool:
        buf = self._buf
        if self._in_string:
            if self._escaped:
                self._escaped, self._pos = False, self._pos + 1
                return True
            found = _IN_STRING.search(buf, self._pos)
            if found is None:
                self._pos = len(buf)
                return False
            self._pos = found.end()
            if buf[found.start()] == 0x5C:  # backslash: the next byte is escaped
                self._escaped = True
            else:
                self._in_string = False
            return True
        found = _OUTSIDE_STRING.search(buf, self._pos)
        if found is None:
            self._pos = len(buf)
            return False
        byte, self._pos = buf[found.start()], found.end()
        if byte == 0x22:  # quote
            self._in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            self._depth += 1
            if self._depth == 2 and byte == 0x7B:
                self._element_start = found.start()
        else:  # } ]
            self._depth -= 1
            if self._depth == 1 and self._element_start is not None:
                elements.append(bytes(buf[self._element_start : self._pos]))
                self._element_start = None
        return True

    def _drop_consumed(self) -> None:
        keep_from = self._element_start if self._element_start is not None else self._pos
        del self._buf[:keep_from]
        self._pos -= keep_from
        if self._element_start is not None:
            self._element_start = 0
