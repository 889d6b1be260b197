"""Which model a request asks for: the body's "model" field, or the path for Gemini."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from farebox.llm._values import described, json_type, shown
from farebox.llm.shapes import GEMINI_PATH, ApiShape, normalize_path

# Real IDs are short (fine-tunes such as "ft:gpt-4o-mini-2024-07-18:org:name:abc123" are the
# longest); the cap keeps a hostile ID out of logs, ledgers and the catalog cache.
MAX_MODEL_ID_LENGTH = 256

_EXAMPLE = '"model": "gpt-4o"'


class ModelError(ValueError):
    """The request does not name a model usably; the message is meant for the caller (400)."""


def model_from_body(body: Any) -> str:
    """The non-empty string in the JSON body's "model" field, exactly as sent."""
    if body is None:
        raise ModelError(
            "the request has no JSON body; send a JSON object naming the model, "
            f"e.g. {{{_EXAMPLE}}}"
        )
    if not isinstance(body, dict):
        raise ModelError(
            f"the request body is a JSON {json_type(body)}; it must be a JSON object "
            f"naming the model, e.g. {{{_EXAMPLE}}}"
        )
    if "model" not in body:
        raise ModelError(f'the request body has no "model" field; add one, e.g. {_EXAMPLE}')
    return _checked_model(body["model"], where='"model"')


def model_from_gemini_path(path: str) -> str:
    """The model named by a Gemini path: ".../models/{model}:generateContent" -> "{model}".

    Tuned models (".../tunedModels/{id}:generateContent") come back as "tunedModels/{id}" so a
    price table can tell them from base models.
    """
    match = GEMINI_PATH.search(normalize_path(path))
    if match is None:
        raise ModelError(
            f"the path {shown(path, 80)} names no Gemini model; expected "
            '"/v1beta/models/{model}:generateContent" or ":streamGenerateContent"'
        )
    collection, model = match.group(1), unquote(match.group(2))
    model = _checked_model(model, where="the model in the path")
    return model if collection == "models" else f"tunedModels/{model}"


def model_for_request(shape: ApiShape, path: str, body: Any) -> str:
    """The model of a request of any shape (Gemini: path; the others: body)."""
    if shape is ApiShape.GEMINI:
        return model_from_gemini_path(path)
    return model_from_body(body)


def _checked_model(model: object, *, where: str) -> str:
    if not isinstance(model, str):
        raise ModelError(
            f"{where} must be a string naming the model, e.g. {_EXAMPLE}; got {described(model)}"
        )
    if not model.strip():
        raise ModelError(f"{where} is empty; name the model, e.g. {_EXAMPLE}")
    if model != model.strip():
        raise ModelError(f"{where} {shown(model)} has spaces around it; send the bare model ID")
    if len(model) > MAX_MODEL_ID_LENGTH:
        raise ModelError(
            f"{where} is {len(model)} characters long; model IDs are at most "
            f"{MAX_MODEL_ID_LENGTH} characters"
        )
    return model
