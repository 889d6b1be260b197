"""StreamMeter: usage and delivered bytes from every shape's stream, split anywhere."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farebox.llm import ApiShape, StreamMeter, Usage
from tests.llm import transcripts as t

STREAM_NAMES = sorted(t.STREAMS)


def run(shape: ApiShape, pieces: list[bytes], *, strip: bool = False) -> tuple[bytes, StreamMeter]:
    meter = StreamMeter(shape, strip_usage_chunk=strip)
    forwarded = b"".join(meter.feed(piece) for piece in pieces) + meter.finish()
    return forwarded, meter


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in pairwise(points)]


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_whole_stream_is_forwarded_unchanged_and_metered(name: str) -> None:
    shape, data, usage, text_bytes = t.STREAMS[name]
    forwarded, meter = run(shape, [data])
    assert forwarded == data
    assert meter.usage == usage
    assert meter.delivered_output_bytes == text_bytes


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_every_single_split_point_gives_the_same_result(name: str) -> None:
    shape, data, usage, text_bytes = t.STREAMS[name]
    for cut in range(len(data) + 1):
        forwarded, meter = run(shape, [data[:cut], data[cut:]])
        assert forwarded == data, cut
        assert meter.usage == usage, cut
        assert meter.delivered_output_bytes == text_bytes, cut


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_byte_by_byte_feeding(name: str) -> None:
    shape, data, usage, text_bytes = t.STREAMS[name]
    forwarded, meter = run(shape, [data[i : i + 1] for i in range(len(data))])
    assert forwarded == data
    assert meter.usage == usage
    assert meter.delivered_output_bytes == text_bytes


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(STREAM_NAMES), cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_chunking_gives_identical_bytes_and_usage(name: str, cuts: list[int]) -> None:
    shape, data, usage, text_bytes = t.STREAMS[name]
    forwarded, meter = run(shape, split_at(data, cuts))
    assert forwarded == data
    assert meter.usage == usage
    assert meter.delivered_output_bytes == text_bytes


# --- stripping the usage chunk the gateway asked for --------------------------------------

STRIPPABLE = {
    "openai_chat": (t.OPENAI_CHAT_STREAM, t.OPENAI_CHAT_USAGE_EVENT),
    "openai_completions": (
        t.OPENAI_COMPLETIONS_STREAM,
        t.OPENAI_COMPLETIONS_STREAM.split(b"\n\n")[2] + b"\n\n",
    ),
}


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(STRIPPABLE)), cuts=st.lists(st.integers(min_value=0), max_size=30)
)
def test_strip_drops_only_the_usage_chunk_at_any_chunking(name: str, cuts: list[int]) -> None:
    shape, data, usage, _ = t.STREAMS[name]
    stream, usage_event = STRIPPABLE[name]
    assert usage_event in stream and b'"choices":[]' in usage_event
    forwarded, meter = run(shape, split_at(data, cuts), strip=True)
    assert forwarded == stream.replace(usage_event, b"")
    assert meter.usage == usage


def test_strip_forwards_each_event_as_soon_as_it_is_complete() -> None:
    meter = StreamMeter(ApiShape.OPENAI_CHAT, strip_usage_chunk=True)
    first_event, rest = t.OPENAI_CHAT_STREAM.split(b"\n\n", 1)
    assert meter.feed(first_event + b"\n") == b""  # incomplete: held
    assert meter.feed(b"\n" + rest[:10]) == first_event + b"\n\n"


def test_without_strip_bytes_go_out_at_once_even_mid_event() -> None:
    meter = StreamMeter(ApiShape.OPENAI_CHAT)
    assert meter.feed(t.OPENAI_CHAT_STREAM[:7]) == t.OPENAI_CHAT_STREAM[:7]


def test_strip_keeps_a_content_chunk_that_carries_usage() -> None:
    """Usage riding on a chunk with choices (Groq's x_groq, vLLM) must not drop content."""
    stream = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":'
        b'{"content":"Hi"},"finish_reason":"stop"}],"x_groq":{"usage":{"prompt_tokens":4,'
        b'"completion_tokens":1,"total_tokens":5}}}\n\ndata: [DONE]\n\n'
    )
    forwarded, meter = run(ApiShape.OPENAI_CHAT, [stream], strip=True)
    assert forwarded == stream
    assert meter.usage == Usage(4, 1)


def test_strip_is_refused_for_shapes_without_a_usage_chunk() -> None:
    with pytest.raises(ValueError, match="only OpenAI"):
        StreamMeter(ApiShape.ANTHROPIC_MESSAGES, strip_usage_chunk=True)


def test_strip_applies_to_a_last_event_missing_its_blank_line() -> None:
    stream = t.OPENAI_CHAT_STREAM.replace(b"data: [DONE]\n\n", b"")
    cut_short = stream[:-1]  # the usage event ends with one newline only
    forwarded, meter = run(ApiShape.OPENAI_CHAT, [cut_short], strip=True)
    assert forwarded == stream.replace(t.OPENAI_CHAT_USAGE_EVENT, b"")
    assert meter.usage == t.OPENAI_CHAT_USAGE


# --- missing and cut-off usage ------------------------------------------------------------


def test_stream_without_usage_is_estimated_from_delivered_text() -> None:
    forwarded, meter = run(ApiShape.OPENAI_CHAT, [t.OPENAI_CHAT_TOOL_STREAM_NO_USAGE])
    assert forwarded == t.OPENAI_CHAT_TOOL_STREAM_NO_USAGE
    assert meter.usage is None
    estimate = meter.estimate(input_bound=500)
    assert estimate == Usage(500, t.OPENAI_CHAT_TOOL_TEXT_BYTES, estimated=True)


def test_estimate_output_is_limited_by_the_enforced_cap() -> None:
    _, meter = run(ApiShape.OPENAI_CHAT, [t.OPENAI_CHAT_TOOL_STREAM_NO_USAGE])
    assert meter.estimate(500, output_cap=7).output_tokens == 7


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_cut_off_stream_has_no_usage_and_an_estimate_covering_what_was_sent(name: str) -> None:
    shape, data, usage, _ = t.STREAMS[name]
    for cut in range(0, len(data), 7):
        _, meter = run(shape, [data[:cut]])
        if meter.usage is not None:
            assert meter.usage == usage  # only once the final usage event arrived whole
            continue
        estimate = meter.estimate(input_bound=10_000)
        assert estimate.estimated
        assert estimate.output_tokens >= meter.delivered_output_bytes
        assert estimate.input_tokens in (10_000, usage.input_tokens)


def test_cut_anthropic_stream_keeps_the_reported_input_count() -> None:
    cut = t.ANTHROPIC_STREAM.index(b"event: message_delta")
    _, meter = run(
        ApiShape.ANTHROPIC_MESSAGES, [t.ANTHROPIC_STREAM[:cut] + t.ANTHROPIC_ERROR_EVENT]
    )
    assert meter.usage is None
    estimate = meter.estimate(input_bound=99_999)
    assert estimate.input_tokens == t.ANTHROPIC_INPUT_REPORTED
    assert estimate.output_tokens == t.ANTHROPIC_TEXT_BYTES


def test_anthropic_message_delta_input_counts_override_message_start() -> None:
    """Server tools make message_delta restate cumulative input counts."""
    stream = t.ANTHROPIC_STREAM.replace(
        b'"usage":{"output_tokens":89}',
        b'"usage":{"input_tokens":900,"cache_read_input_tokens":2048,"output_tokens":89}',
    )
    _, meter = run(ApiShape.ANTHROPIC_MESSAGES, [stream])
    assert meter.usage == Usage(900 + 100 + 2048, 89, 2048, cache_write_tokens=100)


def test_gemini_usage_before_the_finish_reason_is_partial() -> None:
    last = t.GEMINI_SSE_STREAM.rindex(b"data:")
    _, meter = run(ApiShape.GEMINI, [t.GEMINI_SSE_STREAM[:last]])
    assert meter.usage is None
    estimate = meter.estimate(input_bound=1000)
    assert estimate.input_tokens == 8  # reported by every chunk
    assert estimate.output_tokens == 3 + 28  # the reported count beats the text bytes


def test_openai_usage_on_every_chunk_is_final_only_after_the_finish() -> None:
    """vLLM's continuous_usage_stats: mid-stream usage counts only the tokens so far."""
    chunk = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,'
        b'"delta":{"content":"abcdef"},"finish_reason":null}],'
        b'"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    )
    _, meter = run(ApiShape.OPENAI_CHAT, [chunk])
    assert meter.usage is None
    assert meter.estimate(50) == Usage(3, 6, estimated=True)


def test_non_sse_error_body_passes_through() -> None:
    body = b'{"error":{"message":"bad","type":"invalid_request_error"}}'
    forwarded, meter = run(ApiShape.OPENAI_CHAT, [body], strip=True)
    assert forwarded == body
    assert meter.usage is None


def test_gemini_whitespace_only_stream_passes_through() -> None:
    forwarded, meter = run(ApiShape.GEMINI, [b"\r\n", b" "])
    assert forwarded == b"\r\n "
    assert meter.usage is None


def test_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    data = t.OPENAI_CHAT_STREAM.replace(b"\n", b"\r\n")
    index = data.index(b"\r\n\r\n") + 1
    for strip in (False, True):
        forwarded, meter = run(ApiShape.OPENAI_CHAT, [data[:index], data[index:]], strip=strip)
        expected_usage_event = t.OPENAI_CHAT_USAGE_EVENT.replace(b"\n", b"\r\n")
        assert forwarded == (data.replace(expected_usage_event, b"") if strip else data)
        assert meter.usage == t.OPENAI_CHAT_USAGE


def test_cr_only_line_ends() -> None:
    data = t.ANTHROPIC_STREAM.replace(b"\n", b"\r")
    forwarded, meter = run(
        ApiShape.ANTHROPIC_MESSAGES, [data[i : i + 5] for i in range(0, len(data), 5)]
    )
    assert forwarded == data
    assert meter.usage == t.ANTHROPIC_USAGE
