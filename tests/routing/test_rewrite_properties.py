"""Traversal properties: whatever a caller sends, the upstream URL stays under the base."""

import re
from urllib.parse import quote, unquote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from farebox.config.schema import Route
from farebox.routing.rewrite import PathError, upstream_target
from farebox.routing.table import RouteTable

BASE = "https://upstream.example/api"

# Text rich in the characters traversal attempts are made of, mixed with anything.
tricky = st.text(alphabet=st.sampled_from([*"./\\%2eEfF5c;?#:@+ ", "a", "\x00", "\n", "é"]))
anything = st.text(max_size=30)
values = st.one_of(tricky, anything)


def climbs(path: str) -> bool:
    """Independent check: could any decoding of `path` hold a "." or ".." segment?"""
    seen = path
    for _ in range(8):
        for part in re.split(r"[/\\]", seen):
            if part.split(";", 1)[0] in (".", ".."):
                return True
        decoded = unquote(seen)
        if decoded == seen:
            return False
        seen = decoded
    return True


def split_target(url: str) -> tuple[str, str]:
    assert url.startswith(BASE)
    path, _, query = url[len(BASE) :].partition("?")
    return path, query


TEMPLATES = [
    ("/v2/items/${params.id}/detail", "/v2/items/"),
    ("/v2/${params.id}", "/v2/"),
    ("/v2/x-${params.id}.json", "/v2/x-"),
    ("/v2/${params.id}${params.other}", "/v2/"),
    ("/${params.id}/${params.other}", "/"),
]


@settings(max_examples=400)
@given(st.sampled_from(TEMPLATES), values, values, st.text(max_size=10))
@example(TEMPLATES[1], "..", "x", "")
@example(TEMPLATES[3], ".", ".", "")
@example(TEMPLATES[3], "%2", "e%2e", "")
@example(TEMPLATES[1], "a/../../b", "x", "q=1")
def test_params_never_climb_out_of_the_template_prefix(
    template: tuple[str, str], id_: str, other: str, query: str
) -> None:
    text, prefix = template
    try:
        url = upstream_target(BASE, text, "/ignored", {"id": id_, "other": other}, query)
    except PathError:
        return
    assert url.startswith(BASE + prefix)
    path, got_query = split_target(url)
    assert not climbs(path)
    assert "#" not in path
    assert got_query == query  # a value never adds a query
    if text == "/v2/${params.id}":
        assert unquote(path[len(prefix) :]) == id_  # and nothing is lost


@settings(max_examples=400)
@given(st.lists(values, max_size=5))
@example(["..", "x"])
@example(["a/..", "b"])
@example(["%2e%2e"])
def test_catch_all_never_climbs_out_through_the_table(segments: list[str]) -> None:
    table = RouteTable.from_routes({"GET /files/*": Route(upstream="u", path="/store/${params.*}")})
    raw_path = "/files/" + "/".join(quote(s, safe="") for s in segments)
    found = table.match("GET", raw_path)
    assert found is not None
    try:
        url = upstream_target(BASE, "/store/${params.*}", raw_path, found.params, "")
    except PathError:
        return
    path, query = split_target(url)
    assert path.startswith("/store/")
    assert not climbs(path)
    assert query == ""
    # every segment arrives as sent, none split or merged
    assert [unquote(s) for s in path[len("/store/") :].split("/")] == (segments or [""])


@settings(max_examples=400)
@given(
    st.lists(st.one_of(tricky, st.sampled_from(["%2e%2e", "%2E.", "..%2f..", "%252e"])), max_size=6)
)
def test_raw_forwarding_never_climbs(parts: list[str]) -> None:
    raw_path = "/" + "/".join(parts)
    try:
        url = upstream_target(BASE, None, raw_path, {}, "")
    except PathError:
        return
    assert url == BASE + raw_path
    assert not climbs(raw_path)
