"""Usage from non-stream JSON responses, estimates without usage, and the fixtures' realism."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openai.types import Completion
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response

from farebox.llm import ApiShape, Usage, estimate_from_json, usage_from_json
from farebox.llm._framing import SseFramer, json_object, sse_data
from tests.llm import transcripts as t

JSON_CASES: list[tuple[ApiShape, dict[str, Any], Usage, int]] = [
    (ApiShape.OPENAI_CHAT, t.OPENAI_CHAT_JSON, t.OPENAI_CHAT_JSON_USAGE, 34),
    (ApiShape.OPENAI_COMPLETIONS, t.OPENAI_COMPLETIONS_JSON, Usage(5, 7), 23),
    (
        ApiShape.OPENAI_RESPONSES,
        t.OPENAI_RESPONSES_JSON,
        Usage(328, 52, 128, cache_write_tokens=200),
        t.OPENAI_RESPONSES_JSON_TEXT_BYTES,
    ),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        t.ANTHROPIC_JSON,
        Usage(2095, 503),
        t.ANTHROPIC_JSON_TEXT_BYTES,
    ),
    (ApiShape.GEMINI, t.GEMINI_JSON, t.GEMINI_JSON_USAGE, t.GEMINI_JSON_TEXT_BYTES),
]


@pytest.mark.parametrize(("shape", "body", "usage", "text_bytes"), JSON_CASES)
def test_usage_from_json(
    shape: ApiShape, body: dict[str, Any], usage: Usage, text_bytes: int
) -> None:
    assert usage_from_json(shape, body) == usage


@pytest.mark.parametrize(("shape", "body", "usage", "text_bytes"), JSON_CASES)
def test_missing_usage_gives_none_and_a_text_byte_estimate(
    shape: ApiShape, body: dict[str, Any], usage: Usage, text_bytes: int
) -> None:
    stripped = copy.deepcopy(body)
    stripped.pop("usage", None)
    stripped.pop("usageMetadata", None)
    assert usage_from_json(shape, stripped) is None
    estimate = estimate_from_json(shape, stripped, input_bound=4000)
    assert estimate == Usage(4000, text_bytes, estimated=True)


def test_estimate_from_json_respects_the_output_cap() -> None:
    assert (
        estimate_from_json(ApiShape.OPENAI_CHAT, t.OPENAI_CHAT_JSON, 10, output_cap=5).output_tokens
        == 5
    )


def test_anthropic_cache_reads_and_writes_are_part_of_input() -> None:
    body = {
        "usage": {
            "input_tokens": 50,
            "cache_creation_input_tokens": 1000,
            "cache_read_input_tokens": 3000,
            "output_tokens": 9,
        }
    }
    assert usage_from_json(ApiShape.ANTHROPIC_MESSAGES, body) == Usage(
        4050, 9, 3000, cache_write_tokens=1000
    )


def test_deepseek_cache_hit_field_counts_as_cached() -> None:
    body = {
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 3,
            "prompt_cache_hit_tokens": 64,
            "prompt_cache_miss_tokens": 36,
        }
    }
    assert usage_from_json(ApiShape.OPENAI_CHAT, body) == Usage(100, 3, 64)


def test_gemini_snake_case_usage() -> None:
    body = {"usage_metadata": {"prompt_token_count": 10, "candidates_token_count": 4}}
    assert usage_from_json(ApiShape.GEMINI, body) == Usage(10, 4)


def test_gemini_json_array_takes_the_last_usage() -> None:
    body = json.loads(t.GEMINI_ARRAY_STREAM)
    assert usage_from_json(ApiShape.GEMINI, body) == t.GEMINI_ARRAY_USAGE


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"usage": None},
        {"usage": {"prompt_tokens": 3}},
        {"usage": {"prompt_tokens": -1, "completion_tokens": 2}},
        {"usage": {"prompt_tokens": True, "completion_tokens": 2}},
        {"error": {"message": "model overloaded"}},
    ],
)
def test_unusable_usage_is_none(body: Any) -> None:
    assert usage_from_json(ApiShape.OPENAI_CHAT, body) is None


def test_integral_float_counts_are_accepted() -> None:
    body = {"usage": {"prompt_tokens": 3.0, "completion_tokens": 2}}
    assert usage_from_json(ApiShape.OPENAI_CHAT, body) == Usage(3, 2)


def test_usage_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Usage(-1, 0)


# --- the fixtures parse with the official OpenAI SDK types -------------------------------


def stream_objects(data: bytes) -> list[dict[str, Any]]:
    events = SseFramer().push(data)
    return [obj for event in events if (obj := json_object(sse_data(event))) is not None]


def test_openai_fixtures_match_the_official_sdk_types() -> None:
    ChatCompletion.model_validate(t.OPENAI_CHAT_JSON)
    Completion.model_validate(t.OPENAI_COMPLETIONS_JSON)
    Response.model_validate({**t.OPENAI_RESPONSES_JSON, **_RESPONSE_REQUIRED})
    for chunk in stream_objects(t.OPENAI_CHAT_STREAM):
        ChatCompletionChunk.model_validate(chunk)
    # (Completion chunks are not validated: the SDK types finish_reason as never null, while
    # the API streams null until the last chunk, and the SDK builds chunks unvalidated.)


# Fields a Response always has that the fixture leaves out for brevity.
_RESPONSE_REQUIRED: dict[str, Any] = {
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
}
