# ruff: noqa: E501 - wire transcripts read best one event per line
"""Hand-written responses in each API's documented wire format (no network involved).

Every stream is the raw bytes an upstream sends; EXPECTED_* hold what the tests assert.
"""

from __future__ import annotations

from farebox.llm import ApiShape, Usage


def _utf8(*texts: str) -> int:
    return sum(len(text.encode()) for text in texts)


# --- OpenAI chat completions, stream with stream_options.include_usage --------------------

_CHAT_ID = '"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk"'
_CHAT_META = f'{_CHAT_ID},"created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8"'

OPENAI_CHAT_USAGE_EVENT = (
    f'data: {{{_CHAT_META},"choices":[],"usage":{{"prompt_tokens":19,"completion_tokens":10,'
    '"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},'
    '"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,'
    '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n'
).encode()

OPENAI_CHAT_STREAM = (
    (
        f'data: {{{_CHAT_META},"choices":[{{"index":0,"delta":{{"role":"assistant","content":"",'
        '"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
        f'data: {{{_CHAT_META},"choices":[{{"index":0,"delta":{{"content":"Hello"}},'
        '"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
        f'data: {{{_CHAT_META},"choices":[{{"index":0,"delta":{{"content":" w\\u00f6rld \u2713"}},'
        '"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
        f'data: {{{_CHAT_META},"choices":[{{"index":0,"delta":{{}},"logprobs":null,'
        '"finish_reason":"stop"}],"usage":null}\n\n'
    ).encode()
    + OPENAI_CHAT_USAGE_EVENT
    + b"data: [DONE]\n\n"
)
OPENAI_CHAT_TEXT_BYTES = _utf8("Hello", " wörld ✓")
OPENAI_CHAT_USAGE = Usage(input_tokens=19, output_tokens=10)

# A tool-call stream from a server that does not report usage (an older vLLM, say).
OPENAI_CHAT_TOOL_STREAM_NO_USAGE = (
    b'data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"llama-3.1-8b",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_abc",'
    b'"type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}\n\n'
    b'data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"llama-3.1-8b",'
    b'"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":'
    b'"{\\"city\\": \\"Paris\\"}"}}]},"finish_reason":null}]}\n\n'
    b'data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"llama-3.1-8b",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
    b"data: [DONE]\n\n"
)
OPENAI_CHAT_TOOL_TEXT_BYTES = _utf8("get_weather", '{"city": "Paris"}')

OPENAI_CHAT_JSON = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello! How can I assist you today?",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1117,
        "completion_tokens": 10,
        "total_tokens": 1127,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}
OPENAI_CHAT_JSON_USAGE = Usage(input_tokens=1117, output_tokens=10, cached_input_tokens=1024)

# --- OpenAI legacy completions -------------------------------------------------------------

_CMPL = '"id":"cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe","object":"text_completion","created":1690759702'
OPENAI_COMPLETIONS_STREAM = (
    f'data: {{{_CMPL},"choices":[{{"text":"This","index":0,"logprobs":null,"finish_reason":null}}],'
    '"model":"gpt-3.5-turbo-instruct","usage":null}\n\n'
    f'data: {{{_CMPL},"choices":[{{"text":" is a test.","index":0,"logprobs":null,'
    '"finish_reason":"stop"}],"model":"gpt-3.5-turbo-instruct","usage":null}\n\n'
    f'data: {{{_CMPL},"choices":[],"model":"gpt-3.5-turbo-instruct",'
    '"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}\n\n'
    "data: [DONE]\n\n"
).encode()
OPENAI_COMPLETIONS_USAGE = Usage(input_tokens=5, output_tokens=5)

OPENAI_COMPLETIONS_JSON = {
    "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
    "object": "text_completion",
    "created": 1589478378,
    "model": "gpt-3.5-turbo-instruct",
    "system_fingerprint": "fp_44709d6fcb",
    "choices": [
        {
            "text": "\n\nThis is indeed a test",
            "index": 0,
            "logprobs": None,
            "finish_reason": "length",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
}

# --- OpenAI responses ----------------------------------------------------------------------

_RESP = (
    '"id":"resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654","object":"response",'
    '"created_at":1741290958,"model":"gpt-4.1-2025-04-14"'
)
OPENAI_RESPONSES_STREAM = (
    "event: response.created\n"
    f'data: {{"type":"response.created","sequence_number":0,"response":{{{_RESP},'
    '"status":"in_progress","output":[],"usage":null}}\n\n'
    "event: response.in_progress\n"
    f'data: {{"type":"response.in_progress","sequence_number":1,"response":{{{_RESP},'
    '"status":"in_progress","output":[],"usage":null}}\n\n'
    "event: response.output_item.added\n"
    'data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,'
    '"item":{"id":"msg_67c9fdcf37fc8190ba82116e33fb28c507b8b0ad4e5eb654","type":"message",'
    '"status":"in_progress","role":"assistant","content":[]}}\n\n'
    "event: response.content_part.added\n"
    'data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67c9",'
    '"output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}\n\n'
    "event: response.output_text.delta\n"
    'data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67c9",'
    '"output_index":0,"content_index":0,"delta":"Hi"}\n\n'
    "event: response.output_text.delta\n"
    'data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_67c9",'
    '"output_index":0,"content_index":0,"delta":" there, caf\\u00e9!"}\n\n'
    "event: response.output_text.done\n"
    'data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_67c9",'
    '"output_index":0,"content_index":0,"text":"Hi there, caf\\u00e9!"}\n\n'
    "event: response.completed\n"
    f'data: {{"type":"response.completed","sequence_number":7,"response":{{{_RESP},'
    '"status":"completed","output":[{"id":"msg_67c9","type":"message","status":"completed",'
    '"role":"assistant","content":[{"type":"output_text","text":"Hi there, caf\\u00e9!",'
    '"annotations":[]}]}],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},'
    '"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}\n\n'
).encode()
OPENAI_RESPONSES_TEXT_BYTES = _utf8("Hi", " there, café!")
OPENAI_RESPONSES_USAGE = Usage(input_tokens=37, output_tokens=11)

OPENAI_RESPONSES_JSON = {
    "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
    "object": "response",
    "created_at": 1741476777,
    "status": "completed",
    "model": "gpt-4o-2024-08-06",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Thinking."}],
            "encrypted_content": "gAAAAABo" + "x" * 400,
        },
        {
            "type": "message",
            "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "In a peaceful grove.", "annotations": []}],
        },
    ],
    "usage": {
        "input_tokens": 328,
        "input_tokens_details": {"cached_tokens": 128, "cache_write_tokens": 200},
        "output_tokens": 52,
        "output_tokens_details": {"reasoning_tokens": 40},
        "total_tokens": 380,
    },
}
OPENAI_RESPONSES_JSON_TEXT_BYTES = _utf8("Thinking.", "In a peaceful grove.")

# --- Anthropic messages --------------------------------------------------------------------

ANTHROPIC_STREAM = (
    b"event: message_start\n"
    b'data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message",'
    b'"role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,'
    b'"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":100,'
    b'"cache_read_input_tokens":2048,"output_tokens":2}}}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    b"event: ping\n"
    b'data: {"type": "ping"}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check"}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" \xe2\x80\x94 ok."}}\n\n'
    b"event: content_block_stop\n"
    b'data: {"type":"content_block_stop","index":0}\n\n'
    b"event: content_block_start\n"
    b'data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use",'
    b'"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"{\\"location\\": \\"San Fra"}}\n\n'
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",'
    b'"partial_json":"ncisco\\"}"}}\n\n'
    b"event: content_block_stop\n"
    b'data: {"type":"content_block_stop","index":1}\n\n'
    b"event: message_delta\n"
    b'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},'
    b'"usage":{"output_tokens":89}}\n\n'
    b"event: message_stop\n"
    b'data: {"type":"message_stop"}\n\n'
)
ANTHROPIC_TEXT_BYTES = _utf8(
    "Let me check", " — ok.", "get_weather", '{"location": "San Francisco"}'
)
ANTHROPIC_INPUT_REPORTED = 472 + 100 + 2048
ANTHROPIC_USAGE = Usage(
    input_tokens=ANTHROPIC_INPUT_REPORTED,
    output_tokens=89,
    cached_input_tokens=2048,
    cache_write_tokens=100,
)
ANTHROPIC_ERROR_EVENT = (
    b"event: error\n"
    b'data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
)

ANTHROPIC_JSON = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {
            "type": "thinking",
            "thinking": "The user wants weather.",
            "signature": "EqQBCgIYAh" + "A" * 200,
        },
        {"type": "text", "text": "I'll check."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "Paris", "days": 3},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 2095,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 503,
        "service_tier": "standard",
    },
}
ANTHROPIC_JSON_TEXT_BYTES = _utf8(
    "The user wants weather.", "I'll check.", "get_weather", '{"location":"Paris","days":3}'
)

# --- Gemini --------------------------------------------------------------------------------

GEMINI_SSE_STREAM = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],'
    b'"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash",'
    b'"responseId": "mHvbaPvXBtqYz7IP8a2O2Ag"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " sky is blue \xf0\x9f\x8c\x8d"}],"role": "model"},'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 3,"totalTokenCount": 39,'
    b'"thoughtsTokenCount": 28},"modelVersion": "gemini-2.5-flash","responseId": "mHvbaPvXBtqYz7IP8a2O2Ag"}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": "."}],"role": "model"},"finishReason": "STOP",'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 7,"totalTokenCount": 43,'
    b'"thoughtsTokenCount": 28,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 8}]},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "mHvbaPvXBtqYz7IP8a2O2Ag"}\r\n\r\n'
)
GEMINI_TEXT_BYTES = _utf8("The", " sky is blue 🌍", ".")
GEMINI_USAGE = Usage(input_tokens=8, output_tokens=7 + 28)

# streamGenerateContent without ?alt=sse: one JSON array, sent piece by piece.
GEMINI_ARRAY_STREAM = (
    b'[{\n  "candidates": [{"content": {"parts": [{"text": "A 5\\" {tall} [box \\"x"}],"role": "model"},'
    b'"index": 0}],\n  "usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 12}\n}\n,\r\n'
    b'{\n  "candidates": [{"content": {"parts": [{"text": " end\\\\"}],"role": "model"},'
    b'"finishReason": "STOP","index": 0}],\n  "usageMetadata": {"promptTokenCount": 12,'
    b'"candidatesTokenCount": 9,"totalTokenCount": 21}\n}\n]'
)
GEMINI_ARRAY_TEXT_BYTES = _utf8('A 5" {tall} [box "x', " end\\")
GEMINI_ARRAY_USAGE = Usage(input_tokens=12, output_tokens=9)

GEMINI_JSON = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {"text": "Hi", "thoughtSignature": "CtoBAVSoXO" + "Q" * 100},
                    {
                        "functionCall": {
                            "name": "find_theaters",
                            "args": {"location": "Mountain View, CA"},
                        }
                    },
                ],
                "role": "model",
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 120,
        "candidatesTokenCount": 14,
        "totalTokenCount": 200,
        "cachedContentTokenCount": 64,
        "thoughtsTokenCount": 60,
        "toolUsePromptTokenCount": 6,
    },
    "modelVersion": "gemini-2.5-pro",
}
GEMINI_JSON_USAGE = Usage(input_tokens=126, output_tokens=74, cached_input_tokens=64)
GEMINI_JSON_TEXT_BYTES = _utf8("Hi", "find_theaters", '{"location":"Mountain View, CA"}')

STREAMS: dict[str, tuple[ApiShape, bytes, Usage, int]] = {
    "openai_chat": (
        ApiShape.OPENAI_CHAT,
        OPENAI_CHAT_STREAM,
        OPENAI_CHAT_USAGE,
        OPENAI_CHAT_TEXT_BYTES,
    ),
    "openai_completions": (
        ApiShape.OPENAI_COMPLETIONS,
        OPENAI_COMPLETIONS_STREAM,
        OPENAI_COMPLETIONS_USAGE,
        _utf8("This", " is a test."),
    ),
    "openai_responses": (
        ApiShape.OPENAI_RESPONSES,
        OPENAI_RESPONSES_STREAM,
        OPENAI_RESPONSES_USAGE,
        OPENAI_RESPONSES_TEXT_BYTES,
    ),
    "anthropic": (
        ApiShape.ANTHROPIC_MESSAGES,
        ANTHROPIC_STREAM,
        ANTHROPIC_USAGE,
        ANTHROPIC_TEXT_BYTES,
    ),
    "gemini_sse": (ApiShape.GEMINI, GEMINI_SSE_STREAM, GEMINI_USAGE, GEMINI_TEXT_BYTES),
    "gemini_array": (
        ApiShape.GEMINI,
        GEMINI_ARRAY_STREAM,
        GEMINI_ARRAY_USAGE,
        GEMINI_ARRAY_TEXT_BYTES,
    ),
}
