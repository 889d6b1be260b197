"""What a request body holds besides text, per API shape: media parts, turns, tools, and
references to content the gateway cannot see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from farebox.llm._values import dicts_under, first, utf8_len
from farebox.llm.shapes import ApiShape


@dataclass
class MediaTally:
    """Media parts found in a request; inline_bytes are their base64/data-URL payload bytes."""

    images: int = 0
    documents: int = 0  # PDFs, files, and media known only by reference (file IDs, URLs)
    inline_bytes: int = 0


# Client-side tools: the upstream only renders their schema (bytes in the body) plus a fixed
# template; server-side tools (web search, code execution, MCP, ...) pull unseen content in.
_OPENAI_RESPONSES_CLIENT_TOOLS = frozenset(
    {"function", "custom", "local_shell", "computer_use_preview", "apply_patch"}
)
_OPENAI_CHAT_CLIENT_TOOLS = frozenset({"function", "custom"})
_ANTHROPIC_CLIENT_TOOL_PREFIXES = ("custom", "bash_", "text_editor_", "computer_", "memory_")
_GEMINI_CLIENT_TOOL_KEYS = frozenset({"functionDeclarations", "function_declarations"})


def content_roots(shape: ApiShape, body: dict[str, Any]) -> list[object]:
    """The parts of the body that carry conversation content (where media can appear)."""
    if shape is ApiShape.OPENAI_CHAT:
        keys: tuple[str, ...] = ("messages",)
    elif shape is ApiShape.OPENAI_RESPONSES:
        keys = ("input",)
    elif shape is ApiShape.ANTHROPIC_MESSAGES:
        keys = ("system", "messages")
    elif shape is ApiShape.GEMINI:
        keys = ("contents", "systemInstruction", "system_instruction")
    else:
        keys = ()
    return [body[key] for key in keys if body.get(key) is not None]


def tally_media(shape: ApiShape, body: dict[str, Any]) -> MediaTally:
    tally = MediaTally()
    for part in dicts_under(content_roots(shape, body)):
        _classify(shape, part, tally)
    return tally


def _classify(shape: ApiShape, part: dict[str, Any], tally: MediaTally) -> None:
    if shape is ApiShape.OPENAI_CHAT:
        _classify_openai_chat(part, tally)
    elif shape is ApiShape.OPENAI_RESPONSES:
        _classify_openai_responses(part, tally)
    elif shape is ApiShape.ANTHROPIC_MESSAGES:
        _classify_anthropic(part, tally)
    elif shape is ApiShape.GEMINI:
        _classify_gemini(part, tally)


def _add(tally: MediaTally, kind: str, payload: object) -> None:
    if kind == "image":
        tally.images += 1
    else:
        tally.documents += 1
    if isinstance(payload, str):
        tally.inline_bytes += utf8_len(payload)


def _data_url(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith("data:") else None


def _classify_openai_chat(part: dict[str, Any], tally: MediaTally) -> None:
    kind = part.get("type")
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        _add(tally, "image", _data_url(url))
    elif kind == "file":
        file = part.get("file")
        _add(tally, "document", file.get("file_data") if isinstance(file, dict) else None)
    elif "role" in part and isinstance(part.get("audio"), dict) and "id" in part["audio"]:
        _add(tally, "document", None)  # an assistant turn replayed by audio ID: unseen content
    # input_audio stays in the byte count: compressed audio needs far more bytes per second
    # than the ~10-32 tokens per second that OpenAI and Gemini count for it.


def _classify_openai_responses(part: dict[str, Any], tally: MediaTally) -> None:
    kind = part.get("type")
    if kind == "input_image":
        _add(tally, "image", _data_url(part.get("image_url")))
    elif kind == "input_file":
        _add(tally, "document", part.get("file_data"))


def _classify_anthropic(part: dict[str, Any], tally: MediaTally) -> None:
    kind = part.get("type")
    if kind not in ("image", "document", "container_upload"):
        return
    source = part.get("source")
    source_type = source.get("type") if isinstance(source, dict) else None
    if kind == "document" and source_type in ("text", "content"):
        return  # plain text or content blocks: counted as bytes, images inside found on the walk
    payload = source.get("data") if isinstance(source, dict) and source_type == "base64" else None
    _add(tally, "image" if kind == "image" else "document", payload)


def _classify_gemini(part: dict[str, Any], tally: MediaTally) -> None:
    inline = first(part, "inlineData", "inline_data")
    if isinstance(inline, dict):
        mime = str(first(inline, "mimeType", "mime_type") or "")
        # Audio/video: bytes far exceed Gemini's 32 (audio) / 263 (video) tokens per second,
        # and text is fewer tokens than its base64: all stay in the byte count.
        if not mime.startswith(("audio/", "video/", "text/")):
            _add(tally, "image" if mime.startswith("image/") else "document", inline.get("data"))
        return
    by_reference = first(part, "fileData", "file_data")
    if isinstance(by_reference, dict):
        mime = str(first(by_reference, "mimeType", "mime_type") or "")
        _add(tally, "image" if mime.startswith("image/") else "document", None)


def count_turns(shape: ApiShape, body: dict[str, Any]) -> int:
    """Messages (plus the system prompt slot) that a chat template wraps in special tokens."""
    if shape is ApiShape.OPENAI_COMPLETIONS:
        return prompt_count(body.get("prompt"))
    return 1 + sum(len(root) if isinstance(root, list) else 1 for root in _turn_lists(shape, body))


def _turn_lists(shape: ApiShape, body: dict[str, Any]) -> list[object]:
    if shape is ApiShape.OPENAI_CHAT:
        keys: tuple[str, ...] = ("messages",)
    elif shape is ApiShape.OPENAI_RESPONSES:
        keys = ("input",)
    elif shape is ApiShape.ANTHROPIC_MESSAGES:
        keys = ("messages",)
    else:
        keys = ("contents",)
    return [body[key] for key in keys if body.get(key) is not None]


def prompt_count(prompt: object) -> int:
    """How many prompts a legacy completions request holds (each one is completed)."""
    if not isinstance(prompt, list) or not prompt:
        return 1
    if all(isinstance(item, int) for item in prompt):
        return 1  # a single prompt given as token IDs
    return len(prompt)


def count_tools(shape: ApiShape, body: dict[str, Any]) -> int:
    tools = body.get("tools")
    declared = len(tools) if isinstance(tools, list) else 0
    if shape is ApiShape.OPENAI_CHAT and isinstance(body.get("functions"), list):
        declared += len(body["functions"])  # the pre-tools function-calling field
    if shape is ApiShape.GEMINI and isinstance(tools, list):
        declared = sum(_gemini_declarations(tool) for tool in tools)
    return declared


def _gemini_declarations(tool: object) -> int:
    if not isinstance(tool, dict):
        return 1
    declarations = first(tool, "functionDeclarations", "function_declarations")
    return len(declarations) if isinstance(declarations, list) else 1


def unseen_inputs(shape: ApiShape, body: dict[str, Any]) -> Iterator[str]:
    """Describe each field that makes the upstream count input the gateway cannot see."""
    if shape is ApiShape.OPENAI_CHAT:
        if body.get("web_search_options") is not None:
            yield '"web_search_options" adds web search results to the input'
        yield from _typed_tools(body, _OPENAI_CHAT_CLIENT_TOOLS.__contains__)
    elif shape is ApiShape.OPENAI_RESPONSES:
        for field in ("previous_response_id", "conversation", "prompt"):
            if body.get(field) is not None:
                yield f'"{field}" brings in content stored by the provider'
        yield from _typed_tools(body, _OPENAI_RESPONSES_CLIENT_TOOLS.__contains__)
        for index, item in enumerate(_as_list(body.get("input"))):
            if isinstance(item, dict) and item.get("type") == "item_reference":
                yield f"input[{index}] is an item_reference to content stored by the provider"
    elif shape is ApiShape.ANTHROPIC_MESSAGES:
        if body.get("mcp_servers"):
            yield '"mcp_servers" lets the provider fetch tool results from MCP servers'
        yield from _typed_tools(body, _is_anthropic_client_tool, untyped_ok=True)
    elif shape is ApiShape.GEMINI:
        if first(body, "cachedContent", "cached_content") is not None:
            yield '"cachedContent" brings in content cached by the provider'
        for index, tool in enumerate(_as_list(body.get("tools"))):
            extra = sorted(set(tool) - _GEMINI_CLIENT_TOOL_KEYS) if isinstance(tool, dict) else []
            if extra:
                yield f'tools[{index}] uses "{extra[0]}", which runs on the provider'


def _is_anthropic_client_tool(kind: str) -> bool:
    return kind.startswith(_ANTHROPIC_CLIENT_TOOL_PREFIXES)


def _typed_tools(
    body: dict[str, Any], is_client_tool: Any, *, untyped_ok: bool = False
) -> Iterator[str]:
    for index, tool in enumerate(_as_list(body.get("tools"))):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind is None and untyped_ok:
            continue
        if not isinstance(kind, str) or not is_client_tool(kind):
            yield f"tools[{index}] has type {kind!r}, a tool that runs on the provider"


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
