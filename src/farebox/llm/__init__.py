"""LLM API knowledge as pure functions: shapes, models, token bounds, usage, upstream prices."""

from farebox.llm.bounds import (
    DEFAULT_INPUT_LIMITS,
    DEFAULT_MAX_OUTPUT_TOKENS,
    BoundsError,
    InputLimits,
    UnboundedInputError,
    chat_cap_field_for,
    enforce_max_output,
    ensure_stream_usage,
    input_token_bound,
    requested_max_output,
)
from farebox.llm.catalog import Catalog, CatalogError, CatalogPrice, PriceTier, price_context
from farebox.llm.model import (
    ModelError,
    model_for_request,
    model_from_body,
    model_from_gemini_path,
)
from farebox.llm.shapes import ApiShape, detect_shape, is_stream_request
from farebox.llm.usage import StreamMeter, Usage, estimate_from_json, usage_from_json

__all__ = [
    "DEFAULT_INPUT_LIMITS",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "ApiShape",
    "BoundsError",
    "Catalog",
    "CatalogError",
    "CatalogPrice",
    "InputLimits",
    "ModelError",
    "PriceTier",
    "StreamMeter",
    "UnboundedInputError",
    "Usage",
    "chat_cap_field_for",
    "detect_shape",
    "enforce_max_output",
    "ensure_stream_usage",
    "estimate_from_json",
    "input_token_bound",
    "is_stream_request",
    "model_for_request",
    "model_from_body",
    "model_from_gemini_path",
    "price_context",
    "requested_max_output",
    "usage_from_json",
]
