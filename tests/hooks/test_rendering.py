"""Hook results as HTTP: a Reject becomes a JSON error; an override rewrites a buffered response."""

from __future__ import annotations

import json

from farebox.errors import GatewayError
from farebox.hooks import Reject, Rejected, ResponseOverride, apply_override, render_reject

UPSTREAM = [
    (b"content-type", b"application/json"),
    (b"content-length", b"24"),
    (b"content-encoding", b"identity"),
    (b"x-request-id", b"abc"),
]
BODY = b'{"choices":[],"id":"c1"}'


def test_a_text_reject_is_sent_as_an_error_object() -> None:
    status, body, headers = render_reject(Reject(400, "Unsupported model"))
    assert status == 400
    assert json.loads(body) == {"error": "Unsupported model"}
    assert headers == [(b"content-type", b"application/json")]


def test_a_mapping_reject_is_sent_as_is_with_its_headers() -> None:
    reject = Reject(429, {"error": "slow down", "retry": 5}, {"Retry-After": "5"})
    status, body, headers = render_reject(reject)
    assert status == 429
    assert json.loads(body) == {"error": "slow down", "retry": 5}
    assert headers == [(b"content-type", b"application/json"), (b"retry-after", b"5")]


def test_rejected_matches_the_gateways_own_error_rendering() -> None:
    error = Rejected(Reject(403, "not on the allowlist", {"X-Reason": "allowlist"}))
    assert isinstance(error, GatewayError)
    assert (error.status, error.message) == (403, "not on the allowlist")
    assert error.headers == [(b"x-reason", b"allowlist")]
    _, body, _ = render_reject(error.reject)
    assert json.loads(body) == {"error": error.message}


def test_settle_false_alone_leaves_the_response_but_its_length_to_the_sender() -> None:
    status, headers, body = apply_override(ResponseOverride(settle=False), 200, UPSTREAM, BODY)
    assert (status, body) == (200, BODY)
    assert (b"content-length", b"24") not in headers
    assert (b"x-request-id", b"abc") in headers


def test_a_json_body_replaces_the_body_and_its_type() -> None:
    override = ResponseOverride(status=502, body={"error": "empty completion"})
    status, headers, body = apply_override(override, 200, UPSTREAM, BODY)
    assert status == 502 and json.loads(body) == {"error": "empty completion"}
    names = [k for k, _ in headers]
    assert names.count(b"content-type") == 1 and (b"content-type", b"application/json") in headers
    assert b"content-length" not in names and b"content-encoding" not in names


def test_a_text_body_is_utf8_plain_text() -> None:
    _, headers, body = apply_override(ResponseOverride(body="caf\u00e9"), 200, UPSTREAM, BODY)
    assert body == "caf\u00e9".encode()
    assert (b"content-type", b"text/plain; charset=utf-8") in headers


def test_a_bytes_body_keeps_the_upstream_type() -> None:
    _, headers, body = apply_override(ResponseOverride(body=b"{}"), 200, UPSTREAM, BODY)
    assert body == b"{}"
    assert (b"content-type", b"application/json") in headers


def test_hook_headers_replace_the_upstreams_of_the_same_name() -> None:
    override = ResponseOverride(headers={"X-Request-Id": "mine", "X-New": "1"})
    _, headers, _ = apply_override(override, 200, UPSTREAM, BODY)
    assert (b"x-request-id", b"mine") in headers and (b"x-request-id", b"abc") not in headers
    assert (b"x-new", b"1") in headers
