"""A fake LLM server speaking the OpenAI chat-completions and Anthropic messages shapes.

Deterministic: one output word is one token, and the reply is as long as the
request's output cap allows (up to a fixed length). Used by `farebox demo`
and by the test suite, so metering can be checked against known usage
without a network or an API key.

Test knobs (request headers):
- `x-fake-usage: omit` reports no usage; `x-fake-usage: inflate` reports 1000x the usage;
- `x-fake-cut-after: N` breaks a stream off after N content events;
- `x-fake-status: 500` answers that status with an error body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REPLY_WORDS = (
    "Every",
    "token",
    "of",
    "this",
    "reply",
    "was",
    "counted",
    "by",
    "the",
    "upstream",
    "and",
    "settled",
    "by",
    "farebox",
    "at",
    "its",
    "metered",
    "price,",
    "never",
    "above",
    "the",
    "ceiling",
    "the",
    "caller",
    "authorized",
    "before",
    "the",
    "request",
    "began.",
)
DEFAULT_REPLY_TOKENS = len(REPLY_WORDS)


@dataclass
class FakeLLMLog:
    requests: list[dict[str, Any]] = field(default_factory=list)


class StreamCut(Exception):
    """Raised inside a streaming body to break the connection off mid-stream."""


def prompt_tokens(texts: list[str], messages: int) -> int:
    """A deterministic count, always below the byte bound the gateway authorizes."""
    chars = sum(len(t) for t in texts)
    return chars // 4 + 3 * messages + 1


def reply_for(cap: int | None) -> list[str]:
    n = DEFAULT_REPLY_TOKENS if cap is None else max(0, min(cap, DEFAULT_REPLY_TOKENS))
    return [w if i == 0 else " " + w for i, w in enumerate(REPLY_WORDS[:n])]


def _texts(messages: list[Any]) -> list[str]:
    out: list[str] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out += [p.get("text", "") for p in content if isinstance(p, dict)]
    return out


def _usage_mode(request: Request) -> str:
    return request.headers.get("x-fake-usage", "report")


def _scaled(n: int, mode: str) -> int:
    return n * 1000 if mode == "inflate" else n


def _sse(payload: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def build_fake_llm(log: FakeLLMLog | None = None) -> Starlette:
    record = log or FakeLLMLog()

    async def intake(request: Request) -> dict[str, Any]:
        """Record the request (tests read what the gateway sent) and return its body."""
        body: dict[str, Any] = await request.json()
        record.requests.append(
            {"path": request.url.path, "headers": dict(request.headers), "body": body}
        )
        return body

    async def openai_chat(request: Request) -> Response:
        body = await intake(request)
        failure = _failure(request)
        if failure is not None:
            return failure
        messages = body.get("messages", [])
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        words = reply_for(cap)
        usage = {
            "prompt_tokens": prompt_tokens(_texts(messages), len(messages)),
            "completion_tokens": len(words),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        mode = _usage_mode(request)
        usage = {k: _scaled(v, mode) for k, v in usage.items()}
        model = body.get("model", "unknown")
        if body.get("stream"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = _openai_stream(model, words, usage if include and mode != "omit" else None)
            return _streaming(chunks, _cut_after(request))
        reply: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(words)},
                    "finish_reason": "length"
                    if cap is not None and cap < DEFAULT_REPLY_TOKENS
                    else "stop",
                }
            ],
        }
        if mode != "omit":
            reply["usage"] = usage
        return JSONResponse(reply)

    async def anthropic_messages(request: Request) -> Response:
        body = await intake(request)
        failure = _failure(request)
        if failure is not None:
            return failure
        messages = body.get("messages", [])
        system = body.get("system")
        texts = _texts(messages) + ([system] if isinstance(system, str) else [])
        words = reply_for(body.get("max_tokens"))
        mode = _usage_mode(request)
        usage = {
            "input_tokens": _scaled(prompt_tokens(texts, len(messages)), mode),
            "output_tokens": _scaled(len(words), mode),
        }
        model = body.get("model", "unknown")
        if body.get("stream"):
            return _streaming(_anthropic_stream(model, words, usage, mode), _cut_after(request))
        reply: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "".join(words)}],
            "stop_reason": "end_turn",
        }
        if mode != "omit":
            reply["usage"] = usage
        return JSONResponse(reply)

    return Starlette(
        routes=[
            Route("/v1/chat/completions", openai_chat, methods=["POST"]),
            Route(
                "/openai/deployments/{deployment}/chat/completions", openai_chat, methods=["POST"]
            ),
            Route("/v1/messages", anthropic_messages, methods=["POST"]),
        ]
    )


def _failure(request: Request) -> Response | None:
    status = request.headers.get("x-fake-status")
    if status is None:
        return None
    return JSONResponse({"error": {"message": "fake upstream failure"}}, status_code=int(status))


def _cut_after(request: Request) -> int | None:
    value = request.headers.get("x-fake-cut-after")
    return int(value) if value is not None else None


def _streaming(chunks: Iterator[bytes], cut_after: int | None) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for index, chunk in enumerate(chunks):
            if cut_after is not None and index >= cut_after:
                raise StreamCut("fake upstream broke the stream off")
            yield chunk

    return StreamingResponse(body(), media_type="text/event-stream")


def _openai_stream(model: str, words: list[str], usage: dict[str, int] | None) -> Iterator[bytes]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    yield _sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    for word in words:
        yield _sse({**base, "choices": [{"index": 0, "delta": {"content": word}}]})
    yield _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if usage is not None:
        yield _sse({**base, "choices": [], "usage": usage})
    yield b"data: [DONE]\n\n"


def _anthropic_stream(
    model: str, words: list[str], usage: dict[str, int], mode: str
) -> Iterator[bytes]:
    start_usage = {"input_tokens": usage["input_tokens"], "output_tokens": 1}
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
    }
    if mode != "omit":
        message["usage"] = start_usage
    yield _sse({"type": "message_start", "message": message}, "message_start")
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    yield _sse(block, "content_block_start")
    for word in words:
        delta = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": word},
        }
        yield _sse(delta, "content_block_delta")
    yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
    final: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
    if mode != "omit":
        final["usage"] = {"output_tokens": usage["output_tokens"]}
    yield _sse(final, "message_delta")
    yield _sse({"type": "message_stop"}, "message_stop")
