"""API shape detection and model extraction, with the errors a caller sees."""

from __future__ import annotations

from typing import Any

import pytest

from farebox.llm import (
    ApiShape,
    ModelError,
    detect_shape,
    is_stream_request,
    model_for_request,
    model_from_body,
    model_from_gemini_path,
)


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/v1/chat/completions", ApiShape.OPENAI_CHAT),
        ("/chat/completions", ApiShape.OPENAI_CHAT),
        ("chat/completions", ApiShape.OPENAI_CHAT),
        ("/api/v1/chat/completions/", ApiShape.OPENAI_CHAT),
        (
            "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            ApiShape.OPENAI_CHAT,
        ),
        ("/v1/completions", ApiShape.OPENAI_COMPLETIONS),
        ("/v1/responses", ApiShape.OPENAI_RESPONSES),
        ("/v1/messages", ApiShape.ANTHROPIC_MESSAGES),
        ("/anthropic/v1/messages", ApiShape.ANTHROPIC_MESSAGES),
        ("/v1beta/models/gemini-2.5-flash:generateContent", ApiShape.GEMINI),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", ApiShape.GEMINI),
        (
            "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
            ApiShape.GEMINI,
        ),
        ("/v1beta/tunedModels/my-model-123:generateContent", ApiShape.GEMINI),
    ],
)
def test_detect_shape(path: str, shape: ApiShape) -> None:
    assert detect_shape(path) is shape


@pytest.mark.parametrize(
    "path",
    [
        "/v1/embeddings",
        "/v1/models",
        "/v1/messages/count_tokens",
        "/v1/messages/batches",
        "/v1/responses/resp_123",
        "/v1/threads/thread_abc/messages",
        "/v1beta/models/gemini-2.5-flash:countTokens",
        "/v1beta/models/gemini-2.5-flash:embedContent",
        "/",
        "",
    ],
)
def test_paths_that_are_not_generation_apis_are_unknown(path: str) -> None:
    assert detect_shape(path) is None


@pytest.mark.parametrize(
    ("shape", "path", "body", "streams"),
    [
        (ApiShape.OPENAI_CHAT, "/v1/chat/completions", {"stream": True}, True),
        (ApiShape.OPENAI_CHAT, "/v1/chat/completions", {"stream": "true"}, True),
        (ApiShape.OPENAI_CHAT, "/v1/chat/completions", {"stream": False}, False),
        (ApiShape.OPENAI_CHAT, "/v1/chat/completions", {}, False),
        (ApiShape.ANTHROPIC_MESSAGES, "/v1/messages", {"stream": True}, True),
        (ApiShape.GEMINI, "/v1beta/models/g:streamGenerateContent?alt=sse", {}, True),
        (ApiShape.GEMINI, "/v1beta/models/g:generateContent", {"stream": True}, False),
    ],
)
def test_is_stream_request(shape: ApiShape, path: str, body: Any, streams: bool) -> None:
    assert is_stream_request(shape, path, body) is streams


def test_model_from_body() -> None:
    assert (
        model_from_body({"model": "ft:gpt-4o-mini-2024-07-18:acme::9xYz"})
        == "ft:gpt-4o-mini-2024-07-18:acme::9xYz"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "the request has no JSON body"),
        ([{"model": "gpt-4o"}], "the request body is a JSON array; it must be a JSON object"),
        ("gpt-4o", "the request body is a JSON string"),
        (
            {"messages": []},
            'the request body has no "model" field; add one, e.g. "model": "gpt-4o"',
        ),
        (
            {"model": None},
            '"model" must be a string naming the model, e.g. "model": "gpt-4o"; got null',
        ),
        ({"model": 4}, "got the number 4"),
        ({"model": ["gpt-4o"]}, 'got the array \\["gpt-4o"\\]'),
        ({"model": ""}, '"model" is empty; name the model'),
        ({"model": "   "}, '"model" is empty'),
        ({"model": " gpt-4o"}, "has spaces around it"),
        ({"model": "x" * 300}, "300 characters long; model IDs are at most 256"),
    ],
)
def test_model_errors_say_what_is_wrong_and_what_is_right(body: Any, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        model_from_body(body)


def test_model_error_is_a_value_error() -> None:
    assert issubclass(ModelError, ValueError)


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash"),
        ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini-2.5-flash"),
        (
            "/v1/projects/p/locations/l/publishers/google/models/gemini-2.0-flash-001:generateContent",
            "gemini-2.0-flash-001",
        ),
        ("/v1beta/tunedModels/number-gen-abc123:generateContent", "tunedModels/number-gen-abc123"),
        ("/v1beta/models/gemini%2D2.5-pro:generateContent", "gemini-2.5-pro"),
    ],
)
def test_model_from_gemini_path(path: str, model: str) -> None:
    assert model_from_gemini_path(path) == model


@pytest.mark.parametrize(
    "path",
    ["/v1beta/models/:generateContent", "/v1/chat/completions", "/v1beta/models/g:countTokens"],
)
def test_gemini_path_without_a_model_is_refused(path: str) -> None:
    with pytest.raises(ModelError, match="generateContent"):
        model_from_gemini_path(path)


def test_model_for_request_reads_the_right_place() -> None:
    assert (
        model_for_request(
            ApiShape.GEMINI, "/v1beta/models/gemini-2.5-pro:generateContent", {"model": "x"}
        )
        == "gemini-2.5-pro"
    )
    assert (
        model_for_request(
            ApiShape.ANTHROPIC_MESSAGES, "/v1/messages", {"model": "claude-sonnet-4-5"}
        )
        == "claude-sonnet-4-5"
    )
