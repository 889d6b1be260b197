"""Reading token usage and generated-text size out of each API's response objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farebox.llm._values import count, first, text_bytes
from farebox.llm.shapes import ApiShape


@dataclass(frozen=True)
class Usage:
    """Tokens an upstream billed for one request.

    input_tokens is ALL input, cached or not; cached_input_tokens (read from a prompt cache)
    and cache_write_tokens (written to one, Anthropic) are parts of it. output_tokens
    includes reasoning/thinking tokens. estimated=True marks a gateway estimate made because
    the upstream reported no usage.
    """

    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    estimated: bool = False
    cache_write_tokens: int = 0

    def __post_init__(self) -> None:
        counts = (
            self.input_tokens,
            self.output_tokens,
            self.cached_input_tokens,
            self.cache_write_tokens,
        )
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
            raise ValueError(f"token counts must be non-negative ints, got {self!r}")


# Keys of response objects that hold metadata, not generated text.
_META = frozenset(
    {
        "id",
        "index",
        "type",
        "role",
        "status",
        "finish_reason",
        "stop_reason",
        "logprobs",
        "annotations",
        "call_id",
        "tool_use_id",
        "signature",
        "encrypted_content",
        "thoughtSignature",
        "thought_signature",
        "citations",
        "expires_at",
    }
)
# Tool arguments a model generated as JSON objects (Anthropic tool_use.input, Gemini args).
_STRUCTURED = frozenset({"input", "args"})


def usage_in(shape: ApiShape, obj: Mapping[str, Any]) -> Usage | None:
    """The usage block of a complete response object (or stream chunk), if it holds one."""
    if shape in (ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS):
        block = obj.get("usage")
        if not isinstance(block, dict):
            groq = obj.get("x_groq")  # Groq reports stream usage here
            block = groq.get("usage") if isinstance(groq, dict) else None
        return openai_usage(block) if isinstance(block, dict) else None
    if shape is ApiShape.OPENAI_RESPONSES:
        block = obj.get("usage")
        return responses_usage(block) if isinstance(block, dict) else None
    if shape is ApiShape.ANTHROPIC_MESSAGES:
        block = obj.get("usage")
        return anthropic_usage(block) if isinstance(block, dict) else None
    block = first(obj, "usageMetadata", "usage_metadata")
    return gemini_usage(block) if isinstance(block, dict) else None


def openai_usage(block: Mapping[str, Any]) -> Usage | None:
    input_tokens, output_tokens = (
        count(block.get("prompt_tokens")),
        count(block.get("completion_tokens")),
    )
    if input_tokens is None or output_tokens is None:
        return None
    details = block.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached = count(details.get("cached_tokens"))
    if cached is None:
        cached = count(block.get("prompt_cache_hit_tokens"))  # DeepSeek
    return _with_cache(
        input_tokens, output_tokens, cached, count(details.get("cache_write_tokens"))
    )


def responses_usage(block: Mapping[str, Any]) -> Usage | None:
    input_tokens, output_tokens = (
        count(block.get("input_tokens")),
        count(block.get("output_tokens")),
    )
    if input_tokens is None or output_tokens is None:
        return None
    details = block.get("input_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached, written = count(details.get("cached_tokens")), count(details.get("cache_write_tokens"))
    return _with_cache(input_tokens, output_tokens, cached, written)


def _with_cache(
    input_tokens: int, output_tokens: int, read: int | None, written: int | None
) -> Usage:
    """Cache reads and writes are parts of the input: never let them exceed it."""
    read = min(read or 0, input_tokens)
    written = min(written or 0, input_tokens - read)
    return Usage(input_tokens, output_tokens, read, cache_write_tokens=written)


def anthropic_usage(block: Mapping[str, Any]) -> Usage | None:
    """Anthropic's input_tokens leaves out cache reads and writes; Usage.input_tokens has them."""
    uncached, output_tokens = count(block.get("input_tokens")), count(block.get("output_tokens"))
    if uncached is None or output_tokens is None:
        return None
    written = count(block.get("cache_creation_input_tokens")) or 0
    read = count(block.get("cache_read_input_tokens")) or 0
    return Usage(uncached + written + read, output_tokens, read, cache_write_tokens=written)


def gemini_usage(block: Mapping[str, Any]) -> Usage | None:
    """Input adds tool-use prompt tokens; output adds thinking tokens (billed as output)."""
    prompt = count(first(block, "promptTokenCount", "prompt_token_count"))
    if prompt is None:
        return None
    tool_prompt = count(first(block, "toolUsePromptTokenCount", "tool_use_prompt_token_count"))
    candidates = count(first(block, "candidatesTokenCount", "candidates_token_count"))
    thoughts = count(first(block, "thoughtsTokenCount", "thoughts_token_count"))
    cached = count(first(block, "cachedContentTokenCount", "cached_content_token_count"))
    input_tokens = prompt + (tool_prompt or 0)
    return Usage(input_tokens, (candidates or 0) + (thoughts or 0), min(cached or 0, input_tokens))


def generated_bytes(shape: ApiShape, obj: Mapping[str, Any]) -> int:
    """UTF-8 bytes of generated content in a complete response or a stream chunk."""
    if shape in (ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS):
        return _bytes_of(obj.get("choices"))
    if shape is ApiShape.OPENAI_RESPONSES:
        return _bytes_of(obj.get("output"))
    if shape is ApiShape.ANTHROPIC_MESSAGES:
        return _bytes_of(obj.get("content"))
    candidates = obj.get("candidates")
    if not isinstance(candidates, list):
        return 0
    return _bytes_of([c.get("content") for c in candidates if isinstance(c, dict)])


def _bytes_of(value: object) -> int:
    return text_bytes([value], skip=_META, structured=_STRUCTURED) if value is not None else 0


def delta_bytes(value: object) -> int:
    """Generated bytes in one streamed delta object (Anthropic deltas, Responses events)."""
    return _bytes_of(value)


def gemini_finished(obj: Mapping[str, Any]) -> bool:
    """Whether a Gemini chunk closes the response (its usage is then final)."""
    feedback = first(obj, "promptFeedback", "prompt_feedback")
    if isinstance(feedback, dict) and first(feedback, "blockReason", "block_reason"):
        return True
    candidates = obj.get("candidates")
    return isinstance(candidates, list) and any(
        isinstance(c, dict) and first(c, "finishReason", "finish_reason") for c in candidates
    )
