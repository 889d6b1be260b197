"""Max-output enforcement per shape, choice multipliers, and stream usage requests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from farebox.llm import (
    ApiShape,
    BoundsError,
    chat_cap_field_for,
    enforce_max_output,
    ensure_stream_usage,
    requested_max_output,
)

CAP = 1000

# (shape, base body, path to the limit the client would set, field injected when absent)
SHAPES: list[tuple[ApiShape, dict[str, Any], tuple[str, ...]]] = [
    (ApiShape.OPENAI_CHAT, {"model": "gpt-4o", "messages": []}, ("max_completion_tokens",)),
    (ApiShape.OPENAI_CHAT, {"model": "llama3", "messages": []}, ("max_tokens",)),
    (
        ApiShape.OPENAI_COMPLETIONS,
        {"model": "gpt-3.5-turbo-instruct", "prompt": "Hi"},
        ("max_tokens",),
    ),
    (ApiShape.OPENAI_RESPONSES, {"model": "gpt-4.1", "input": "Hi"}, ("max_output_tokens",)),
    (
        ApiShape.ANTHROPIC_MESSAGES,
        {"model": "claude-sonnet-4-5", "messages": []},
        ("max_tokens",),
    ),
    (
        ApiShape.GEMINI,
        {"contents": [], "generationConfig": {"temperature": 0.2}},
        ("generationConfig", "maxOutputTokens"),
    ),
    (
        ApiShape.GEMINI,
        {"contents": [], "generation_config": {}},
        ("generation_config", "max_output_tokens"),
    ),
]


def with_limit(body: dict[str, Any], path: tuple[str, ...], value: int) -> dict[str, Any]:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return body


def read(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


@pytest.mark.parametrize(("shape", "body", "path"), SHAPES)
def test_larger_limit_is_lowered_to_the_cap(
    shape: ApiShape, body: dict[str, Any], path: tuple[str, ...]
) -> None:
    sent = with_limit(body, path, 50_000)
    before = copy.deepcopy(sent)
    new_body, bound = enforce_max_output(shape, sent, CAP)
    assert read(new_body, path) == CAP
    assert bound == CAP
    assert sent == before  # the input is never mutated
    assert requested_max_output(shape, sent) == 50_000
    assert requested_max_output(shape, new_body) == CAP


@pytest.mark.parametrize(("shape", "body", "path"), SHAPES)
def test_smaller_limit_is_kept(
    shape: ApiShape, body: dict[str, Any], path: tuple[str, ...]
) -> None:
    sent = with_limit(body, path, 300)
    new_body, bound = enforce_max_output(shape, sent, CAP)
    assert new_body == sent
    assert bound == 300


@pytest.mark.parametrize(
    ("shape", "body", "expected_field", "value"),
    [
        (ApiShape.OPENAI_RESPONSES, {"input": "Hi"}, ("max_output_tokens",), CAP),
        (ApiShape.ANTHROPIC_MESSAGES, {"messages": []}, ("max_tokens",), CAP),
        (ApiShape.GEMINI, {"contents": []}, ("generationConfig", "maxOutputTokens"), CAP),
        (
            ApiShape.GEMINI,
            {"contents": [], "generation_config": {"top_k": 3}},
            ("generation_config", "max_output_tokens"),
            CAP,
        ),
        # the upstream's own default for legacy completions is 16: the request keeps meaning that
        (ApiShape.OPENAI_COMPLETIONS, {"prompt": "Hi"}, ("max_tokens",), 16),
    ],
)
def test_missing_limit_is_injected(
    shape: ApiShape, body: dict[str, Any], expected_field: tuple[str, ...], value: int
) -> None:
    before = copy.deepcopy(body)
    assert requested_max_output(shape, body) is None
    new_body, bound = enforce_max_output(shape, body, CAP)
    assert read(new_body, expected_field) == value
    assert bound == value
    assert body == before


def test_gemini_injection_keeps_other_generation_settings() -> None:
    new_body, _ = enforce_max_output(
        ApiShape.GEMINI, {"generationConfig": {"temperature": 0.1}}, CAP
    )
    assert new_body["generationConfig"] == {"temperature": 0.1, "maxOutputTokens": CAP}


def test_completions_cap_below_the_default_wins() -> None:
    new_body, bound = enforce_max_output(ApiShape.OPENAI_COMPLETIONS, {"prompt": "Hi"}, 5)
    assert new_body["max_tokens"] == 5 and bound == 5


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_chat_injects_the_chosen_field_only(field: str) -> None:
    new_body, bound = enforce_max_output(
        ApiShape.OPENAI_CHAT, {"messages": []}, CAP, chat_field=field
    )  # type: ignore[arg-type]
    assert new_body == {"messages": [], field: CAP}
    assert bound == CAP


def test_chat_keeps_the_field_the_client_used() -> None:
    new_body, _ = enforce_max_output(
        ApiShape.OPENAI_CHAT, {"max_completion_tokens": 9000}, CAP, chat_field="max_tokens"
    )
    assert new_body == {"max_completion_tokens": CAP}


def test_chat_with_both_fields_lowers_both_and_bounds_by_the_larger() -> None:
    body = {"max_tokens": 20_000, "max_completion_tokens": 400}
    assert requested_max_output(ApiShape.OPENAI_CHAT, body) == 20_000
    new_body, bound = enforce_max_output(ApiShape.OPENAI_CHAT, body, CAP)
    assert new_body == {"max_tokens": CAP, "max_completion_tokens": 400}
    assert bound == CAP


def test_null_limit_counts_as_absent() -> None:
    new_body, bound = enforce_max_output(ApiShape.OPENAI_CHAT, {"max_tokens": None}, CAP)
    assert new_body == {"max_tokens": CAP} and bound == CAP


@pytest.mark.parametrize(
    ("shape", "body", "bound"),
    [
        (ApiShape.OPENAI_CHAT, {"n": 3}, 3 * CAP),
        (ApiShape.OPENAI_CHAT, {"n": 4, "max_tokens": 10}, 40),
        (ApiShape.OPENAI_COMPLETIONS, {"prompt": "Hi", "n": 2, "max_tokens": 100}, 200),
        (
            ApiShape.OPENAI_COMPLETIONS,
            {"prompt": "Hi", "n": 2, "best_of": 5, "max_tokens": 100},
            500,
        ),
        (ApiShape.OPENAI_COMPLETIONS, {"prompt": ["a", "b", "c"], "max_tokens": 100}, 300),
        (ApiShape.OPENAI_COMPLETIONS, {"prompt": [[1, 2], [3]], "max_tokens": 100}, 200),
        (ApiShape.OPENAI_COMPLETIONS, {"prompt": [1, 2, 3], "max_tokens": 100}, 100),
        (ApiShape.GEMINI, {"generationConfig": {"candidateCount": 2, "maxOutputTokens": 100}}, 200),
    ],
)
def test_several_choices_multiply_the_output_bound(
    shape: ApiShape, body: dict[str, Any], bound: int
) -> None:
    assert enforce_max_output(shape, body, CAP)[1] == bound


def test_predicted_output_adds_its_bytes() -> None:
    prediction = {"type": "content", "content": "class User:\n    name: str\n"}
    _, bound = enforce_max_output(
        ApiShape.OPENAI_CHAT, {"max_tokens": 100, "prediction": prediction}, CAP
    )
    assert bound == 100 + len("class User:\n    name: str\n")


def test_anthropic_thinking_budget_is_lowered_below_the_cap() -> None:
    body = {"max_tokens": 32_000, "thinking": {"type": "enabled", "budget_tokens": 16_000}}
    new_body, bound = enforce_max_output(ApiShape.ANTHROPIC_MESSAGES, body, 4096)
    assert new_body == {"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 4095}}
    assert body["thinking"]["budget_tokens"] == 16_000
    assert bound == 4096


def test_anthropic_thinking_budget_under_the_cap_is_kept() -> None:
    body = {"max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 2000}}
    assert (
        enforce_max_output(ApiShape.ANTHROPIC_MESSAGES, body, 4096)[0]["thinking"]["budget_tokens"]
        == 2000
    )


@pytest.mark.parametrize(
    ("shape", "body", "message"),
    [
        (ApiShape.OPENAI_CHAT, {"max_tokens": "100"}, '"max_tokens" must be a positive integer'),
        (ApiShape.OPENAI_CHAT, {"max_tokens": 0}, '"max_tokens" must be a positive integer'),
        (ApiShape.OPENAI_CHAT, {"max_completion_tokens": -1}, '"max_completion_tokens"'),
        (ApiShape.OPENAI_CHAT, {"max_tokens": 10.5}, "got 10.5"),
        (ApiShape.OPENAI_CHAT, {"max_tokens": True}, "got true"),
        (ApiShape.OPENAI_CHAT, {"n": 0}, '"n" must be a positive integer'),
        (ApiShape.OPENAI_COMPLETIONS, {"best_of": "x"}, '"best_of"'),
        (
            ApiShape.GEMINI,
            {"generationConfig": {"maxOutputTokens": -5}},
            "generationConfig.maxOutputTokens",
        ),
        (ApiShape.GEMINI, {"generationConfig": "fast"}, '"generationConfig" must be a JSON object'),
        (ApiShape.GEMINI, {"generationConfig": {"candidateCount": 0}}, "candidateCount"),
    ],
)
def test_malformed_limits_are_refused_with_the_field_named(
    shape: ApiShape, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(BoundsError, match=message):
        enforce_max_output(shape, body, CAP)


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive int"):
        enforce_max_output(ApiShape.OPENAI_CHAT, {}, 0)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("https://my-resource.openai.azure.com/openai/deployments/gpt4o", "max_completion_tokens"),
        ("api.openai.com", "max_completion_tokens"),
        ("http://localhost:11434/v1", "max_tokens"),
        ("https://openrouter.ai/api/v1", "max_tokens"),
        ("https://api.openai.com.example.net/v1", "max_tokens"),
        (None, "max_tokens"),
    ],
)
def test_chat_cap_field_for_upstream(url: str | None, field: str) -> None:
    assert chat_cap_field_for(url) == field


# --- stream usage ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [ApiShape.OPENAI_CHAT, ApiShape.OPENAI_COMPLETIONS])
def test_stream_usage_is_requested_and_the_client_choice_reported(shape: ApiShape) -> None:
    body = {"model": "gpt-4o", "stream": True}
    new_body, client_asked = ensure_stream_usage(shape, body)
    assert new_body == {
        "model": "gpt-4o",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert client_asked is False
    assert body == {"model": "gpt-4o", "stream": True}


def test_stream_usage_client_already_asked() -> None:
    body = {"stream": True, "stream_options": {"include_usage": True}}
    assert ensure_stream_usage(ApiShape.OPENAI_CHAT, body) == (body, True)


def test_stream_usage_overrides_an_explicit_false_and_keeps_other_options() -> None:
    body = {
        "stream": True,
        "stream_options": {"include_usage": False, "continuous_usage_stats": False},
    }
    new_body, client_asked = ensure_stream_usage(ApiShape.OPENAI_CHAT, body)
    assert new_body["stream_options"] == {"include_usage": True, "continuous_usage_stats": False}
    assert client_asked is False


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        (ApiShape.OPENAI_CHAT, {"model": "gpt-4o"}),
        (ApiShape.OPENAI_CHAT, {"stream": False}),
        (ApiShape.ANTHROPIC_MESSAGES, {"stream": True}),
        (ApiShape.OPENAI_RESPONSES, {"stream": True}),
        (ApiShape.GEMINI, {}),
    ],
)
def test_stream_usage_leaves_other_requests_alone(shape: ApiShape, body: dict[str, Any]) -> None:
    assert ensure_stream_usage(shape, body) == (body, True)


def test_stream_usage_lax_true_counts_as_a_stream() -> None:
    """vLLM/LiteLLM parse "true" as true: the stream would come without usage otherwise."""
    new_body, _ = ensure_stream_usage(ApiShape.OPENAI_CHAT, {"stream": "true"})
    assert new_body["stream_options"] == {"include_usage": True}


def test_stream_options_must_be_an_object() -> None:
    with pytest.raises(BoundsError, match='"stream_options" must be a JSON object'):
        ensure_stream_usage(ApiShape.OPENAI_CHAT, {"stream": True, "stream_options": "yes"})
