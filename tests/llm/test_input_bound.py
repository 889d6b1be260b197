"""input_token_bound: at least every text byte, media per part, unseen content refused."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.llm import (
    DEFAULT_INPUT_LIMITS,
    ApiShape,
    BoundsError,
    InputLimits,
    UnboundedInputError,
    input_token_bound,
)

LIMITS = DEFAULT_INPUT_LIMITS
BIG_IMAGE = base64.b64encode(bytes(range(256)) * 4000).decode()  # ~1.4 MB of base64
PDF = base64.b64encode(b"%PDF-1.7 " + b"x" * 30000).decode()


def bound(shape: ApiShape, body: dict[str, Any], **kwargs: Any) -> int:
    return input_token_bound(shape, body, json.dumps(body).encode(), **kwargs)


def text_bytes(*texts: str) -> int:
    return sum(len(text.encode()) for text in texts)


TEXT_REQUESTS: list[tuple[ApiShape, dict[str, Any], list[str]]] = [
    (
        ApiShape.OPENAI_CHAT,
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": [{"type": "text", "text": "Résumé ✓ please"}]},
            ],
        },
        ["You are terse.", "Résumé ✓ please", "system", "user"],
    ),
    (
        ApiShape.OPENAI_COMPLETIONS,
        {"model": "gpt-3.5-turbo-instruct", "prompt": ["Say this is a test", "Another"]},
        ["Say this is a test", "Another"],
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {"model": "gpt-4.1", "instructions": "Be brief.", "input": "Tell me a story"},
        ["Be brief.", "Tell me a story"],
    ),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": [
                {"type": "text", "text": "Be kind.", "cache_control": {"type": "ephemeral"}}
            ],
            "messages": [{"role": "user", "content": "Hello, Claude — 你好"}],
        },
        ["Be kind.", "Hello, Claude — 你好", "user"],
    ),
    (
        ApiShape.GEMINI,
        {
            "systemInstruction": {"parts": [{"text": "You are a cat."}]},
            "contents": [{"role": "user", "parts": [{"text": "Hello there 🐈"}]}],
        },
        ["You are a cat.", "Hello there 🐈", "user"],
    ),
]


@pytest.mark.parametrize(("shape", "body", "texts"), TEXT_REQUESTS)
def test_bound_covers_a_naive_count_plus_template_overheads(
    shape: ApiShape, body: dict[str, Any], texts: list[str]
) -> None:
    naive = text_bytes(*texts)  # a byte per token at worst
    result = bound(shape, body)
    assert result >= naive + LIMITS.per_request + LIMITS.per_message
    assert result <= len(json.dumps(body)) + 10 * LIMITS.per_message + LIMITS.per_request


def test_escaped_json_only_makes_the_bound_larger() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": 'é✓🐈\n\t"' * 50}]}
    escaped = json.dumps(body, ensure_ascii=True).encode()
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert input_token_bound(ApiShape.OPENAI_CHAT, body, escaped) >= input_token_bound(
        ApiShape.OPENAI_CHAT, body, raw
    )
    assert input_token_bound(ApiShape.OPENAI_CHAT, body, raw) >= text_bytes(
        body["messages"][0]["content"]
    )


def test_empty_raw_body_measures_the_parsed_body() -> None:
    body = TEXT_REQUESTS[0][1]
    assert input_token_bound(ApiShape.OPENAI_CHAT, body, b"") >= text_bytes(*TEXT_REQUESTS[0][2])


@given(texts=st.lists(st.text(), min_size=1, max_size=8), ascii_only=st.booleans())
def test_bound_is_at_least_the_utf8_bytes_of_any_text(texts: list[str], ascii_only: bool) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": text} for text in texts]}
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", errors="surrogatepass")
    result = input_token_bound(ApiShape.OPENAI_CHAT, body, raw)
    naive = sum(len(text.encode("utf-8", errors="surrogatepass")) for text in texts)
    assert result >= naive + len(texts) * LIMITS.per_message


IMAGE_REQUESTS: list[tuple[ApiShape, dict[str, Any]]] = [
    (
        ApiShape.OPENAI_CHAT,
        {
            "model": "gpt-4o",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this image?"},
                        {
                            "type": "image_url",
                            "image_url": {
                                "url": f"data:image/png;base64,{BIG_IMAGE}",
                                "detail": "high",
                            },
                        },
                    ],
                }
            ],
        },
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {
            "model": "gpt-4.1",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "What is in this image?"},
                        {"type": "input_image", "image_url": f"data:image/jpeg;base64,{BIG_IMAGE}"},
                    ],
                }
            ],
        },
    ),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 100,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": "image/jpeg",
                                "data": BIG_IMAGE,
                            },
                        },
                        {"type": "text", "text": "What is in this image?"},
                    ],
                }
            ],
        },
    ),
    (
        ApiShape.GEMINI,
        {
            "contents": [
                {
                    "parts": [
                        {"inline_data": {"mime_type": "image/jpeg", "data": BIG_IMAGE}},
                        {"text": "What is in this image?"},
                    ]
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(("shape", "body"), IMAGE_REQUESTS)
def test_inline_image_counts_per_part_not_per_base64_byte(
    shape: ApiShape, body: dict[str, Any]
) -> None:
    result = bound(shape, body)
    assert result >= LIMITS.per_image + text_bytes("What is in this image?")
    assert result < len(BIG_IMAGE) // 10


def test_image_by_url_adds_the_per_image_ceiling() -> None:
    def with_image(url: str | None) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": "Describe"}]
        if url:
            content.append({"type": "image_url", "image_url": {"url": url}})
        return {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}

    without = bound(ApiShape.OPENAI_CHAT, with_image(None))
    assert (
        bound(ApiShape.OPENAI_CHAT, with_image("https://example.com/cat.png"))
        >= without + LIMITS.per_image
    )


def test_image_inside_an_anthropic_tool_result_is_found() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": "image/png",
                                    "data": BIG_IMAGE,
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    assert LIMITS.per_image <= bound(ApiShape.ANTHROPIC_MESSAGES, body) < len(BIG_IMAGE) // 10


DOCUMENT_REQUESTS: list[tuple[ApiShape, dict[str, Any]]] = [
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 100,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": PDF,
                            },
                        }
                    ],
                }
            ],
        },
    ),
    (
        ApiShape.OPENAI_CHAT,
        {
            "model": "gpt-4o",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "file",
                            "file": {
                                "filename": "a.pdf",
                                "file_data": f"data:application/pdf;base64,{PDF}",
                            },
                        }
                    ],
                }
            ],
        },
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {
            "model": "gpt-4.1",
            "input": [
                {
                    "role": "user",
                    "content": [{"type": "input_file", "file_id": "file-6F2ksmvXxt4VdoqmHRw6kL"}],
                }
            ],
        },
    ),
    (
        ApiShape.GEMINI,
        {
            "contents": [
                {
                    "parts": [
                        {
                            "file_data": {
                                "mime_type": "video/mp4",
                                "file_uri": "https://www.youtube.com/watch?v=9hE5-98ZeCg",
                            }
                        }
                    ]
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(("shape", "body"), DOCUMENT_REQUESTS)
def test_documents_and_media_by_reference_add_the_document_ceiling(
    shape: ApiShape, body: dict[str, Any]
) -> None:
    assert bound(shape, body) >= LIMITS.per_document


def test_inline_audio_keeps_its_bytes() -> None:
    audio = base64.b64encode(b"RIFF" + b"\x00" * 20000).decode()
    body = {
        "model": "gpt-4o-audio-preview",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}}
                ],
            }
        ],
    }
    assert bound(ApiShape.OPENAI_CHAT, body) >= len(audio)


def test_a_plain_text_anthropic_document_counts_as_text() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "source": {
                            "type": "text",
                            "media_type": "text/plain",
                            "data": "grass is green",
                        },
                    }
                ],
            }
        ],
    }
    assert bound(ApiShape.ANTHROPIC_MESSAGES, body) < LIMITS.per_image


def test_tools_add_a_preamble_and_a_per_tool_ceiling() -> None:
    base = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Weather?"}]}
    tool = {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object"}},
    }
    with_tools = {**base, "tools": [tool, tool]}
    assert (
        bound(ApiShape.OPENAI_CHAT, with_tools)
        >= bound(ApiShape.OPENAI_CHAT, base) + LIMITS.tools_preamble + 2 * LIMITS.per_tool
    )


def test_anthropic_client_side_builtin_tools_are_bounded() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "tools": [
            {
                "type": "computer_20250124",
                "name": "computer",
                "display_width_px": 1024,
                "display_height_px": 768,
            },
            {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
            {"name": "get_weather", "input_schema": {"type": "object"}},
        ],
        "messages": [{"role": "user", "content": "hi"}],
    }
    assert bound(ApiShape.ANTHROPIC_MESSAGES, body) >= LIMITS.tools_preamble + 3 * LIMITS.per_tool


def test_limits_are_configurable() -> None:
    shape, body = IMAGE_REQUESTS[0]
    small = InputLimits(per_image=100)
    assert bound(shape, body) - bound(shape, body, limits=small) == LIMITS.per_image - 100


UNBOUNDED: list[tuple[ApiShape, dict[str, Any], str]] = [
    (
        ApiShape.OPENAI_RESPONSES,
        {"model": "gpt-4.1", "previous_response_id": "resp_123", "input": "and then?"},
        "previous_response_id",
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {"model": "gpt-4.1", "conversation": "conv_123", "input": "hi"},
        "conversation",
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {"model": "gpt-4.1", "tools": [{"type": "web_search"}], "input": "news?"},
        "tools[0]",
    ),
    (
        ApiShape.OPENAI_RESPONSES,
        {"model": "gpt-4.1", "input": [{"type": "item_reference", "id": "msg_1"}]},
        "input[0]",
    ),
    (
        ApiShape.OPENAI_CHAT,
        {"model": "gpt-4o-search-preview", "web_search_options": {}, "messages": []},
        "web_search_options",
    ),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {
            "model": "c",
            "max_tokens": 9,
            "messages": [],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}],
        },
        "tools[0]",
    ),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {
            "model": "c",
            "max_tokens": 9,
            "messages": [],
            "mcp_servers": [{"type": "url", "url": "https://x"}],
        },
        "mcp_servers",
    ),
    (ApiShape.GEMINI, {"contents": [], "tools": [{"google_search": {}}]}, "google_search"),
    (ApiShape.GEMINI, {"contents": [], "cachedContent": "cachedContents/abc"}, "cachedContent"),
]


@pytest.mark.parametrize(("shape", "body", "named"), UNBOUNDED)
def test_content_the_gateway_cannot_see_is_refused_with_the_field_named(
    shape: ApiShape, body: dict[str, Any], named: str
) -> None:
    with pytest.raises(UnboundedInputError, match=named.replace("[", r"\[").replace("]", r"\]")):
        bound(shape, body)


def test_gemini_function_declarations_are_client_side() -> None:
    body = {"contents": [], "tools": [{"functionDeclarations": [{"name": "a"}, {"name": "b"}]}]}
    assert bound(ApiShape.GEMINI, body) >= LIMITS.tools_preamble + 2 * LIMITS.per_tool


def test_body_must_be_an_object() -> None:
    with pytest.raises(BoundsError, match="JSON object, got a JSON array"):
        input_token_bound(ApiShape.OPENAI_CHAT, [], b"[]")
