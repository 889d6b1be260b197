"""The official OpenAI client reads a metered (and stripped) stream over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from farebox.llm import (
    ApiShape,
    StreamMeter,
    enforce_max_output,
    ensure_stream_usage,
    model_from_body,
)
from farebox.serving import BackgroundServer
from tests.llm import transcripts as t


def metering_app(meters: list[StreamMeter], seen: list[dict[str, object]]) -> Starlette:
    """Stands in for the gateway: rewrites the request, meters the upstream's stream."""

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        model_from_body(body)
        body, client_asked = ensure_stream_usage(ApiShape.OPENAI_CHAT, body)
        body, _ = enforce_max_output(ApiShape.OPENAI_CHAT, body, 256)
        seen.append(body)
        meter = StreamMeter(ApiShape.OPENAI_CHAT, strip_usage_chunk=not client_asked)
        meters.append(meter)

        async def relay() -> AsyncIterator[bytes]:
            data = t.OPENAI_CHAT_STREAM
            for start in range(0, len(data), 13):  # awkward chunk size: splits mid-event
                out = meter.feed(data[start : start + 13])
                if out:
                    yield out
            tail = meter.finish()
            if tail:
                yield tail

        return StreamingResponse(relay(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def stream_chat(url: str, **extra: object) -> list[openai.types.chat.ChatCompletionChunk]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="test", max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Say hello"}],
        stream=True,
        **extra,  # type: ignore[arg-type]
    )
    return list(stream)


def test_client_that_did_not_ask_for_usage_never_sees_the_usage_chunk() -> None:
    meters: list[StreamMeter] = []
    seen: list[dict[str, object]] = []
    with BackgroundServer(metering_app(meters, seen)) as server:
        chunks = stream_chat(server.url)
    assert seen[0]["stream_options"] == {"include_usage": True}
    assert seen[0]["max_tokens"] == 256
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello wörld ✓"
    assert all(chunk.choices for chunk in chunks)  # no usage-only chunk reached the client
    assert meters[0].usage == t.OPENAI_CHAT_USAGE


def test_client_that_asked_for_usage_gets_it() -> None:
    meters: list[StreamMeter] = []
    seen: list[dict[str, object]] = []
    with BackgroundServer(metering_app(meters, seen)) as server:
        chunks = stream_chat(server.url, stream_options={"include_usage": True})
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10
    assert meters[0].usage == t.OPENAI_CHAT_USAGE
