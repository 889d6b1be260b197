"""Route keys: "METHOD /path" with :params and a final * catch-all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.config.route_keys import METHODS, RouteKey, parse_route_key

from .support import config, problems


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("GET /data", RouteKey("GET", "/data", (), False)),
        ("POST /", RouteKey("POST", "/", (), False)),
        (
            "DELETE /a/:id/b/:sub_id",
            RouteKey("DELETE", "/a/:id/b/:sub_id", ("id", "sub_id"), False),
        ),
        ("* /files/*", RouteKey("*", "/files/*", (), True)),
        ("ANY /:tenant/*", RouteKey("*", "/:tenant/*", ("tenant",), True)),
        (
            "POST /v1beta/models/gemini:generate",
            RouteKey("POST", "/v1beta/models/gemini:generate", (), False),
        ),
        ("GET /trailing/", RouteKey("GET", "/trailing/", (), False)),
    ],
)
def test_valid_keys(key: str, parsed: RouteKey) -> None:
    assert parse_route_key(key) == parsed
    assert config(f'"{key}": {{upstream: api, price: "$0"}}').routes[key]


_PARAM_RULE = 'a parameter is ":" then a name like ":id" (letters, digits, _)'


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("GET/data", 'not a route key; write "METHOD /path", like "GET /data"'),
        ("/data", 'not a route key; write "METHOD /path", like "GET /data"'),
        ("get /data", 'write the method in upper case: "GET /data"'),
        ("any /data", 'write the method in upper case: "ANY /data"'),
        (
            "FETCH /data",
            '"FETCH" is not an HTTP method; use one of GET, POST, PUT, PATCH, DELETE, HEAD, '
            "OPTIONS, or * (or ANY) for every method",
        ),
        ("GET data", 'the path must start with "/", like "GET /data"'),
        ("GET  /data", 'the path must start with "/", like "GET /data"'),
        ("GET /a b", 'the path must not contain spaces; write "METHOD /path"'),
        ("GET /a?b=1", "a route key matches the path only; remove the query string"),
        ("GET /*/x", '"*" is only allowed as the last segment (a catch-all)'),
        ("GET /files*", '"files*" mixes text with "*"; a catch-all is a whole final segment: "/*"'),
        ("GET /a//b", 'the path has an empty segment ("//")'),
        ("GET /a/:", f'":" is not a parameter; {_PARAM_RULE}'),
        ("GET /a/:1x", f'":1x" is not a parameter; {_PARAM_RULE}'),
        ("GET /:id/:id", 'the parameter ":id" appears twice; give each a different name'),
    ],
)
def test_invalid_keys_say_how_to_write_them(key: str, message: str) -> None:
    assert problems(f'"{key}": {{upstream: api, price: "$0"}}') == [f'routes."{key}": {message}']


_segment = st.one_of(
    st.from_regex(r"[a-z0-9._~-]{1,8}", fullmatch=True).map(lambda s: ("lit", s)),
    st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).map(lambda s: ("param", s)),
)


@given(
    st.sampled_from([*METHODS, "*", "ANY"]),
    st.lists(_segment, max_size=6),
    st.booleans(),
)
def test_generated_keys_round_trip_their_params(
    method: str, segments: list[tuple[str, str]], catch_all: bool
) -> None:
    names: list[str] = []
    parts = []
    for kind, text in segments:
        if kind == "param" and text not in names:
            names.append(text)
            parts.append(":" + text)
        elif kind == "lit":
            parts.append(text)
    path = "/" + "/".join(parts + (["*"] if catch_all else []))
    parsed = parse_route_key(f"{method} {path}")
    assert parsed == RouteKey("*" if method == "ANY" else method, path, tuple(names), catch_all)
