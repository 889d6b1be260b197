"""Bounds on what a request can cost before it is sent: input tokens and output tokens.

Input. Every BPE tokenizer in use (OpenAI, Anthropic, Gemini's SentencePiece with byte
fallback, Llama, Mistral, ...) emits at least one UTF-8 byte of text per token, so the bytes of
the text bound its tokens. All text a request holds sits in its JSON body, where every string
takes at least as many bytes as its UTF-8 form (escapes only lengthen it). So the raw body
length bounds the text tokens, keys and punctuation giving extra slack. On top come tokens that
are not in the body, each bounded by a documented constant (InputLimits):
  * chat-template special tokens per message (role markers, separators) and per request;
  * a fixed tool-use preamble and per-tool template (Anthropic documents 346 tokens of
    tool-use system prompt and up to 735 per built-in tool such as computer use);
  * images, counted per part instead of by their base64 bytes;
  * documents (PDFs, files) and media given by reference, per part.
Inline audio and video stay in the byte count: any codec spends far more bytes per second than
the 10-32 tokens per second (audio) or 263 (Gemini video) that providers count.
Content the gateway cannot see (stored conversations, server-side tools such as web search)
makes input unbounded: input_token_bound raises UnboundedInputError naming the field.

Output. The upstream stops at the max-tokens field of each API, which also covers reasoning or
thinking tokens. enforce_max_output writes the cap into the request and returns the bound on
billed output tokens, multiplied by the number of generated choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from farebox.llm._request_parts import (
    count_tools,
    count_turns,
    prompt_count,
    tally_media,
    unseen_inputs,
)
from farebox.llm._values import compact_json_len, first, json_type, shown, text_bytes
from farebox.llm.shapes import ApiShape, is_truthy_flag

# Injected when a client names no output limit (Anthropic requires one; the others default to
# the model's own maximum, which can be 64k-128k tokens and would make every quote huge).
DEFAULT_MAX_OUTPUT_TOKENS = 4096
# OpenAI's documented default for legacy completions' max_tokens (vLLM uses the same): a
# request without the field already stops there, so that is what gets written in.
COMPLETIONS_DEFAULT_MAX_TOKENS = 16

ChatCapField = Literal["max_tokens", "max_completion_tokens"]


class BoundsError(ValueError):
    """A request field that makes its cost unboundable or is malformed; meant for the caller."""


class UnboundedInputError(BoundsError):
    """The request makes the upstream count input the gateway cannot see."""


@dataclass(frozen=True)
class InputLimits:
    """Per-item token ceilings for what a request implies beyond its bytes."""

    per_request: int = 16
    per_message: int = 8
    tools_preamble: int = 1024  # once, when any tool is declared
    per_tool: int = 1024
    # Worst cases per image: OpenAI high detail 1,445 (GPT-4o tiles) and 3,779 (GPT-4.1-nano
    # patches x 2.46); Anthropic ~1,600 (4,800 on high-resolution models); Gemini 4,128
    # (16 tiles x 258 at 3072x3072). Doubled for headroom.
    per_image: int = 8192
    # A PDF, file or by-reference media (a video URI, a file ID) can fill a whole context
    # window; 1M is the largest common window. Clamp the bound with the model's own window.
    per_document: int = 1_000_000


DEFAULT_INPUT_LIMITS = InputLimits()


def input_token_bound(
    shape: ApiShape,
    body: Any,
    raw_body: bytes,
    *,
    limits: InputLimits = DEFAULT_INPUT_LIMITS,
) -> int:
    """A provable upper bound on the input tokens the upstream can count for this request.

    raw_body is the decoded (not gzip) JSON the upstream receives; when empty, body's compact
    JSON is measured instead. Raises UnboundedInputError when the request references content
    not in the body, BoundsError when body is not a JSON object.
    """
    if not isinstance(body, dict):
        raise BoundsError(f"the request body must be a JSON object, got a JSON {json_type(body)}")
    for reason in unseen_inputs(shape, body):
        raise UnboundedInputError(
            f"{reason}, so the gateway cannot bound this request's input tokens; "
            "send the content in the request instead"
        )
    size = len(raw_body) if raw_body else compact_json_len(body)
    media = tally_media(shape, body)
    tools = count_tools(shape, body)
    return (
        max(size - media.inline_bytes, 0)
        + media.images * limits.per_image
        + media.documents * limits.per_document
        + count_turns(shape, body) * limits.per_message
        + limits.per_request
        + (limits.tools_preamble + tools * limits.per_tool if tools else 0)
    )


# --- output -------------------------------------------------------------------------------

_CAP_FIELDS: dict[ApiShape, tuple[str, ...]] = {
    ApiShape.OPENAI_CHAT: ("max_completion_tokens", "max_tokens"),
    ApiShape.OPENAI_COMPLETIONS: ("max_tokens",),
    ApiShape.OPENAI_RESPONSES: ("max_output_tokens",),
    ApiShape.ANTHROPIC_MESSAGES: ("max_tokens",),
}
_GEMINI_CONFIG_KEYS = ("generationConfig", "generation_config")
_GEMINI_CAP_KEYS = ("maxOutputTokens", "max_output_tokens")
# OpenAI and Azure OpenAI refuse max_tokens for reasoning models (o-series, GPT-5).
_AZURE_OPENAI_HOST_SUFFIXES = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
)


def chat_cap_field_for(upstream_url: str | None) -> ChatCapField:
    """Which chat-completions field to inject a cap into, for an upstream.

    OpenAI (and Azure OpenAI) reject max_tokens on reasoning models, so they get
    max_completion_tokens. Every other OpenAI-compatible server (vLLM, Ollama, llama.cpp,
    OpenRouter, Together, DeepSeek, Mistral, Groq, ...) understands max_tokens, while some
    silently ignore max_completion_tokens (Ollama did until 2026): an ignored cap would let
    output run past what the client authorized, so max_tokens is the safe default.
    """
    host = _host(upstream_url)
    if host == "api.openai.com" or host.endswith(_AZURE_OPENAI_HOST_SUFFIXES):
        return "max_completion_tokens"
    return "max_tokens"


def _host(url: str | None) -> str:
    if not url:
        return ""
    return urlsplit(url if "//" in url else f"//{url}").hostname or ""


def requested_max_output(shape: ApiShape, body: dict[str, Any]) -> int | None:
    """The per-choice output limit the client asked for, or None when it set none.

    Chat requests carrying both max_completion_tokens and max_tokens give the larger: servers
    differ on which one wins. Raises BoundsError for a value that is not a positive integer.
    """
    values = [value for _, value in _cap_fields(shape, body)]
    return max(values) if values else None


def enforce_max_output(
    shape: ApiShape,
    body: dict[str, Any],
    cap: int,
    *,
    chat_field: ChatCapField = "max_tokens",
) -> tuple[dict[str, Any], int]:
    """Limit the request's output to `cap` tokens per choice; returns (new body, output bound).

    No limit sent: `cap` is written into the API's field (chat: `chat_field`, see
    chat_cap_field_for; legacy completions: min(cap, 16), the default the upstream applies
    anyway). A larger limit is lowered to `cap`; a smaller one is kept. The returned bound is
    the per-choice limit times the choices generated: chat `n`, completions
    max(`n`, `best_of`) times the number of prompts, Gemini `candidateCount`. Chat predicted
    outputs add their bytes (rejected prediction tokens are billed as output). The input
    body is never mutated.
    """
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ValueError(f"cap must be a positive int, got {cap!r}")
    if shape is ApiShape.GEMINI:
        new_body, per_choice = _enforce_gemini(body, cap)
    else:
        new_body, per_choice = _enforce_top_level(shape, body, cap, chat_field)
    if shape is ApiShape.ANTHROPIC_MESSAGES:
        new_body = _fit_thinking_budget(new_body, per_choice)
    bound = per_choice * _choices(shape, body)
    prediction = body.get("prediction") if shape is ApiShape.OPENAI_CHAT else None
    if isinstance(prediction, dict):
        bound += text_bytes([prediction.get("content")], skip=frozenset({"type"}))
    return new_body, bound


def _enforce_top_level(
    shape: ApiShape, body: dict[str, Any], cap: int, chat_field: ChatCapField
) -> tuple[dict[str, Any], int]:
    present = _cap_fields(shape, body)
    new_body = dict(body)
    if not present:
        field: str
        if shape is ApiShape.OPENAI_CHAT:
            field, value = chat_field, cap
        elif shape is ApiShape.OPENAI_COMPLETIONS:
            field, value = "max_tokens", min(cap, COMPLETIONS_DEFAULT_MAX_TOKENS)
        else:
            field, value = _CAP_FIELDS[shape][0], cap
        new_body[field] = value
        return new_body, value
    for field, value in present:
        new_body[field] = min(value, cap)
    return new_body, max(min(value, cap) for _, value in present)


def _enforce_gemini(body: dict[str, Any], cap: int) -> tuple[dict[str, Any], int]:
    present = _cap_fields(ApiShape.GEMINI, body)
    new_body = dict(body)
    config_keys = [key for key in _GEMINI_CONFIG_KEYS if body.get(key) is not None]
    if not present:
        # Follow the client's spelling: protobuf JSON takes camelCase or snake_case.
        config_key = config_keys[0] if config_keys else "generationConfig"
        cap_key = "maxOutputTokens" if config_key == "generationConfig" else "max_output_tokens"
        new_body[config_key] = {**(body.get(config_key) or {}), cap_key: cap}
        return new_body, cap
    for config_key in config_keys:
        config = dict(body[config_key])
        for cap_key in _GEMINI_CAP_KEYS:
            if config.get(cap_key) is not None:
                config[cap_key] = min(config[cap_key], cap)
        new_body[config_key] = config
    return new_body, max(min(value, cap) for _, value in present)


def _fit_thinking_budget(body: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """Anthropic rejects thinking.budget_tokens >= max_tokens: lower the budget with the cap."""
    thinking = body.get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if isinstance(budget, int) and not isinstance(budget, bool) and budget >= max_tokens:
        return {**body, "thinking": {**thinking, "budget_tokens": max_tokens - 1}}  # type: ignore[dict-item]
    return body


def _cap_fields(shape: ApiShape, body: dict[str, Any]) -> list[tuple[str, int]]:
    """(where, value) of every output-limit field the client set, validated."""
    if not isinstance(body, dict):
        raise BoundsError(f"the request body must be a JSON object, got a JSON {json_type(body)}")
    if shape is not ApiShape.GEMINI:
        return [
            (field, _positive(body[field], field))
            for field in _CAP_FIELDS[shape]
            if body.get(field) is not None
        ]
    found = []
    for config_key in _GEMINI_CONFIG_KEYS:
        config = body.get(config_key)
        if config is None:
            continue
        if not isinstance(config, dict):
            raise BoundsError(
                f'"{config_key}" must be a JSON object, got a JSON {json_type(config)}'
            )
        for cap_key in _GEMINI_CAP_KEYS:
            if config.get(cap_key) is not None:
                where = f"{config_key}.{cap_key}"
                found.append((where, _positive(config[cap_key], where)))
    return found


def _choices(shape: ApiShape, body: dict[str, Any]) -> int:
    if shape is ApiShape.OPENAI_CHAT:
        return _optional_positive(body, "n")
    if shape is ApiShape.OPENAI_COMPLETIONS:
        per_prompt = max(_optional_positive(body, "n"), _optional_positive(body, "best_of"))
        return per_prompt * prompt_count(body.get("prompt"))
    if shape is ApiShape.GEMINI:
        for config_key in _GEMINI_CONFIG_KEYS:
            config = body.get(config_key)
            if isinstance(config, dict):
                value = first(config, "candidateCount", "candidate_count")
                if value is not None:
                    return _positive(value, f"{config_key}.candidateCount")
    return 1


def _optional_positive(body: dict[str, Any], field: str) -> int:
    value = body.get(field)
    return 1 if value is None else _positive(value, field)


def _positive(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BoundsError(f'"{where}" must be a positive integer (1 or more), got {shown(value)}')
    return value


# --- streaming usage ----------------------------------------------------------------------


def ensure_stream_usage(shape: ApiShape, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Make an OpenAI chat/completions stream report its usage; returns (body, client_asked).

    For `"stream": true` requests, sets stream_options.include_usage = true (the upstream then
    sends a final chunk with `"choices": []` and the usage). client_asked tells whether the
    client had asked for that chunk itself; when False, give the StreamMeter
    strip_usage_chunk=True so the client gets the stream it asked for. Other shapes always
    report usage, and non-stream requests carry it in the JSON: they come back unchanged
    with client_asked=True (nothing was added, nothing to strip).
    """
    if shape not in (ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS):
        return body, True
    if not is_truthy_flag(body.get("stream")):
        return body, True
    options = body.get("stream_options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise BoundsError(
            f'"stream_options" must be a JSON object, got a JSON {json_type(options)}'
        )
    client_asked = options.get("include_usage") is True
    return {**body, "stream_options": {**options, "include_usage": True}}, client_asked
