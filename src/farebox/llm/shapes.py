"""Which LLM API a request speaks, told from its upstream path (and body, for streaming)."""

from __future__ import annotations

import enum
import re
from typing import Any


class ApiShape(enum.Enum):
    OPENAI_CHAT = "openai_chat"  # POST .../chat/completions
    OPENAI_COMPLETIONS = "openai_completions"  # POST .../completions (legacy text completions)
    OPENAI_RESPONSES = "openai_responses"  # POST .../responses
    ANTHROPIC_MESSAGES = "anthropic_messages"  # POST .../messages
    GEMINI = "gemini"  # POST .../models/{model}:generateContent | :streamGenerateContent


OPENAI_SHAPES = frozenset(
    {ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS, ApiShape.OPENAI_RESPONSES}
)

# Gemini names the model in the path; tuned models live under tunedModels/ instead of models/.
GEMINI_PATH = re.compile(r"/(models|tunedModels)/([^/]+):(generateContent|streamGenerateContent)$")
# OpenAI's Assistants API also has a .../messages path; it generates nothing.
_ASSISTANTS_MESSAGES = re.compile(r"/threads/[^/]+/messages$")

# Values pydantic (vLLM, LiteLLM, ...) accepts as `true` in lax mode: a server may stream on them.
_TRUE_STRINGS = frozenset({"1", "on", "t", "true", "y", "yes"})


def normalize_path(path: str) -> str:
    """The path without query, fragment or trailing slash, always starting with '/'."""
    path = path.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return path if path.startswith("/") else "/" + path


def detect_shape(path: str) -> ApiShape | None:
    """The API shape of a POST to this upstream path, or None when it is not a generation API.

    Matching is by suffix, so any prefix works ("/v1/chat/completions", "/openai/v1/...",
    "/api/v1/..." on OpenRouter, Azure's "/openai/deployments/{name}/chat/completions").
    Unknown paths give None rather than a guess: the caller decides how to price them
    (a wrong guess would meter a response in the wrong format).
    """
    path = normalize_path(path)
    if GEMINI_PATH.search(path):
        return ApiShape.GEMINI
    if path.endswith("/chat/completions"):
        return ApiShape.OPENAI_CHAT
    if path.endswith("/completions"):
        return ApiShape.OPENAI_COMPLETIONS
    if path.endswith("/responses"):
        return ApiShape.OPENAI_RESPONSES
    if path.endswith("/messages") and not _ASSISTANTS_MESSAGES.search(path):
        return ApiShape.ANTHROPIC_MESSAGES
    return None


def is_truthy_flag(value: object) -> bool:
    """Whether an upstream would read this JSON value as `true` (lax bool parsing)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_STRINGS
    return False


def is_stream_request(shape: ApiShape, path: str, body: Any) -> bool:
    """Whether the upstream will answer with a stream.

    Gemini streams on the `:streamGenerateContent` method; the others on `"stream": true` in
    the body. The response's Content-Type is the final word (an upstream error is JSON even
    for a stream request): pick StreamMeter or usage_from_json from it.
    """
    if shape is ApiShape.GEMINI:
        return normalize_path(path).endswith(":streamGenerateContent")
    return isinstance(body, dict) and is_truthy_flag(body.get("stream"))
