"""Token usage of an upstream response: read from its JSON or metered off its stream.

The upstream's own usage is the source of truth. When a response carries none (a server that
does not report it, a stream cut off before its usage event), estimates bound it from above:
every BPE token is at least one UTF-8 byte, so the bytes of generated text delivered bound the
output tokens; input falls back to the request's input bound (bounds.input_token_bound)
unless the stream already reported the real input count. Caveat: tokens never delivered as
text (hidden reasoning of OpenAI o-series/GPT-5, Anthropic's summarized thinking) are billed by
the upstream but invisible here; pass output_cap=the enforced output bound to charge up to it.
"""

from __future__ import annotations

from typing import Any

from farebox.llm._framing import JsonArrayFramer, SseFramer, json_object, sse_data
from farebox.llm._usage_fields import (
    Usage,
    anthropic_usage,
    delta_bytes,
    gemini_finished,
    generated_bytes,
    usage_in,
)
from farebox.llm.shapes import ApiShape

__all__ = ["StreamMeter", "Usage", "estimate_from_json", "usage_from_json"]

_OPENAI_STREAMS = (ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS)
_RESPONSES_FINAL_EVENTS = frozenset(
    {"response.completed", "response.incomplete", "response.failed"}
)


def usage_from_json(shape: ApiShape, body: Any) -> Usage | None:
    """The usage a non-stream response reports, or None when it has none.

    For Gemini, a whole streamGenerateContent JSON array is accepted too (its last usage).
    """
    if isinstance(body, list) and shape is ApiShape.GEMINI:
        found = [usage_in(shape, item) for item in body if isinstance(item, dict)]
        reported = [usage for usage in found if usage is not None]
        return reported[-1] if reported else None
    return usage_in(shape, body) if isinstance(body, dict) else None


def estimate_from_json(
    shape: ApiShape, body: Any, input_bound: int, *, output_cap: int | None = None
) -> Usage:
    """An upper-bound usage for a non-stream response without usage (estimated=True)."""
    items = body if isinstance(body, list) else [body]
    produced = sum(generated_bytes(shape, item) for item in items if isinstance(item, dict))
    return _estimate(input_bound, produced, output_cap)


def _estimate(input_tokens: int, output_tokens: int, output_cap: int | None) -> Usage:
    if output_cap is not None:
        output_tokens = min(output_tokens, output_cap)
    return Usage(input_tokens, output_tokens, estimated=True)


class StreamMeter:
    """Meters a streamed response fed as raw bytes, chunk by chunk (split anywhere).

    Records the usage the stream reports and counts the bytes of generated text delivered, for
    an estimate when usage is missing. feed() returns the bytes to forward: the chunk itself,
    at once, unless strip_usage_chunk is set (OpenAI chat/completions only), in which case
    whole events are forwarded as soon as they are complete, minus the final usage-only chunk
    (`"choices": []` with `usage`) that exists only because the gateway asked for it (see
    bounds.ensure_stream_usage). Other chunks go out byte-identical: the `"usage": null` they
    then carry is part of OpenAI's documented chunk schema.
    """

    def __init__(self, shape: ApiShape, strip_usage_chunk: bool = False) -> None:
        if strip_usage_chunk and shape not in _OPENAI_STREAMS:
            raise ValueError(
                f"only OpenAI chat/completions streams have a usage chunk, not {shape}"
            )
        self.shape = shape
        self._strip = strip_usage_chunk
        self._sse = SseFramer()
        self._array: JsonArrayFramer | None = None
        self._format_known = shape is not ApiShape.GEMINI  # Gemini: SSE or a JSON array
        self._sniffed = bytearray()
        self._usage: Usage | None = None
        self._partial: Usage | None = None  # reported so far, not yet final
        self._delivered = 0
        self._choice_finished = False  # OpenAI: a finish_reason was seen
        self._anthropic_raw: dict[str, Any] = {}  # usage fields reported so far

    @property
    def usage(self) -> Usage | None:
        """The usage the stream reported in full, or None (not reported, or cut off first)."""
        return self._usage

    @property
    def delivered_output_bytes(self) -> int:
        return self._delivered

    def feed(self, chunk: bytes) -> bytes:
        if not self._format_known:
            chunk = self._sniff(chunk)
            if not self._format_known:
                return b""
        if self._array is not None:
            for element in self._array.push(chunk):
                self._on_object(json_object(element))
            return chunk
        events = self._sse.push(chunk)
        forwarded = [event for event in events if self._on_event(event)]
        return b"".join(forwarded) if self._strip else chunk

    def finish(self) -> bytes:
        """Flush at the end of the stream: the held bytes of an unfinished last event."""
        if not self._format_known:
            self._format_known = True
            return bytes(self._sniffed)  # never saw a non-blank byte: pass it through
        if self._array is not None:
            return b""
        rest = self._sse.rest()
        # Lenient: a last event missing its blank line is still metered (and stripped).
        keep = not rest or self._on_event(rest)
        return rest if self._strip and keep else b""

    def estimate(self, input_bound: int, *, output_cap: int | None = None) -> Usage:
        """An upper-bound usage for when `usage` is None (estimated=True).

        Input: the input count the stream already reported (Anthropic message_start, Gemini
        chunks), else input_bound. Output: the larger of the delivered text bytes and any
        output count already reported, limited by output_cap when given.
        """
        partial = self._partial
        input_tokens = partial.input_tokens if partial else input_bound
        output_tokens = max(self._delivered, partial.output_tokens if partial else 0)
        return _estimate(input_tokens, output_tokens, output_cap)

    def _sniff(self, chunk: bytes) -> bytes:
        """Gemini: '[' first means a JSON array stream, anything else SSE (?alt=sse)."""
        self._sniffed += chunk
        head = bytes(self._sniffed).lstrip()
        if not head:
            return b""
        self._format_known = True
        if head.startswith(b"["):
            self._array = JsonArrayFramer()
        buffered, self._sniffed = bytes(self._sniffed), bytearray()
        return buffered

    def _on_event(self, event: bytes) -> bool:
        """Meter one SSE event; False when it is the usage chunk to strip."""
        obj = json_object(sse_data(event))
        if obj is None:
            return True
        self._on_object(obj)
        return not (self._strip and _is_usage_only_chunk(obj))

    def _on_object(self, obj: dict[str, Any] | None) -> None:
        if obj is None:
            return
        if self.shape in _OPENAI_STREAMS:
            self._on_openai_chunk(obj)
        elif self.shape is ApiShape.OPENAI_RESPONSES:
            self._on_responses_event(obj)
        elif self.shape is ApiShape.ANTHROPIC_MESSAGES:
            self._on_anthropic_event(obj)
        else:
            self._on_gemini_chunk(obj)

    def _on_openai_chunk(self, obj: dict[str, Any]) -> None:
        self._delivered += generated_bytes(self.shape, obj)
        choices = obj.get("choices")
        if isinstance(choices, list) and any(
            isinstance(c, dict) and c.get("finish_reason") for c in choices
        ):
            self._choice_finished = True
        usage = usage_in(self.shape, obj)
        if usage is None:
            return
        # Usage on every chunk (vLLM's continuous_usage_stats) counts only the tokens so far:
        # final once the choices finished or in the usage-only chunk.
        self._partial = usage
        if self._choice_finished or choices == []:
            self._usage = usage

    def _on_responses_event(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        if isinstance(kind, str) and kind.endswith(".delta"):
            self._delivered += delta_bytes(obj.get("delta"))
        response = obj.get("response")
        if kind in _RESPONSES_FINAL_EVENTS and isinstance(response, dict):
            self._usage = usage_in(self.shape, response) or self._usage

    def _on_anthropic_event(self, obj: dict[str, Any]) -> None:
        kind = obj.get("type")
        if kind == "message_start" and isinstance(obj.get("message"), dict):
            self._anthropic_usage_block(obj["message"].get("usage"), final=False)
        elif kind == "content_block_start" and isinstance(obj.get("content_block"), dict):
            # A tool_use block starts with "input": {}; its JSON arrives in the deltas.
            block = {k: v for k, v in obj["content_block"].items() if k != "input"}
            self._delivered += delta_bytes(block)
        elif kind == "content_block_delta":
            self._delivered += delta_bytes(obj.get("delta"))
        elif kind == "message_delta":
            self._anthropic_usage_block(obj.get("usage"), final=True)

    def _anthropic_usage_block(self, block: object, *, final: bool) -> None:
        """message_delta counts are cumulative and may restate the input counts."""
        if not isinstance(block, dict):
            return
        merged = {**self._anthropic_raw, **{k: v for k, v in block.items() if v is not None}}
        self._anthropic_raw = merged
        usage = anthropic_usage(merged)
        if usage is None:
            return
        self._partial = usage
        if final:
            self._usage = usage

    def _on_gemini_chunk(self, obj: dict[str, Any]) -> None:
        self._delivered += generated_bytes(self.shape, obj)
        usage = usage_in(self.shape, obj)
        if usage is not None:
            self._partial = usage
        if gemini_finished(obj) or (self._usage is not None and usage is not None):
            self._usage = usage or self._partial


def _is_usage_only_chunk(obj: dict[str, Any]) -> bool:
    return obj.get("choices") == [] and isinstance(obj.get("usage"), dict)
