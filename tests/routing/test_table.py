from collections.abc import Iterable
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from farebox.config.schema import Route
from farebox.routing.table import RouteMatch, RouteTable


def route(path: str | None = None) -> Route:
    return Route(upstream="api", path=path)


def table(*keys: str) -> RouteTable:
    return RouteTable.from_routes({key: route() for key in keys})


def hit(t: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = t.match(method, path)
    return None if found is None else (found.key, dict(found.params))


def key_of(t: RouteTable, method: str, path: str) -> str | None:
    found = t.match(method, path)
    return None if found is None else found.key


# --- basic matching -------------------------------------------------------------


def test_static_route_returns_key_route_and_no_params() -> None:
    health = route()
    t = RouteTable.from_routes({"GET /health": health})
    found = t.match("GET", "/health")
    assert found == RouteMatch("GET /health", health, {})
    assert found is not None and found.route is health


def test_no_match_is_none() -> None:
    t = table("GET /a", "GET /b/:id", "GET /c/*")
    for path in ["/", "/x", "/a/b", "/b", "/b/1/2", "/cc"]:
        assert t.match("GET", path) is None, path


def test_root_route() -> None:
    t = table("GET /")
    assert key_of(t, "GET", "/") == "GET /"
    assert t.match("GET", "/x") is None


def test_non_absolute_paths_never_match() -> None:
    t = table("GET /*", "* /")
    assert t.match("GET", "") is None
    assert t.match("OPTIONS", "*") is None
    assert t.match("GET", "http://evil/x") is None


def test_params_are_captured_by_name() -> None:
    t = table("GET /users/:user/repos/:repo")
    assert hit(t, "GET", "/users/ada/repos/engine") == (
        "GET /users/:user/repos/:repo",
        {"user": "ada", "repo": "engine"},
    )


def test_param_never_matches_an_empty_segment() -> None:
    t = table("GET /items/:id/detail")
    assert t.match("GET", "/items//detail") is None


def test_params_are_percent_decoded_once() -> None:
    t = table("GET /items/:id")
    assert hit(t, "GET", "/items/a%20b") == ("GET /items/:id", {"id": "a b"})
    assert hit(t, "GET", "/items/caf%C3%A9") == ("GET /items/:id", {"id": "café"})
    assert hit(t, "GET", "/items/%2541") == ("GET /items/:id", {"id": "%41"})
    assert hit(t, "GET", "/items/a+b") == ("GET /items/:id", {"id": "a+b"})


def test_encoded_slash_stays_inside_its_segment() -> None:
    t = table("GET /items/:id", "GET /items/a/b")
    assert hit(t, "GET", "/items/a%2Fb") == ("GET /items/:id", {"id": "a/b"})
    assert hit(t, "GET", "/items/a/b") == ("GET /items/a/b", {})


def test_static_routes_compare_decoded_segments() -> None:
    t = table("GET /caf\u00e9/menu")
    assert key_of(t, "GET", "/caf%C3%A9/menu") == "GET /caf\u00e9/menu"
    assert key_of(t, "GET", "/caf%c3%a9/%6denu") == "GET /caf\u00e9/menu"


def test_invalid_utf8_is_replaced_not_an_error() -> None:
    t = table("GET /items/:id")
    assert hit(t, "GET", "/items/%FF") == ("GET /items/:id", {"id": "\ufffd"})


def test_one_trailing_slash_is_ignored() -> None:
    t = table("GET /items", "GET /items/:id")
    assert key_of(t, "GET", "/items/") == "GET /items"
    assert hit(t, "GET", "/items/7/") == ("GET /items/:id", {"id": "7"})
    assert RouteTable.from_routes({"GET /items/": route()}).match("GET", "/items") is not None


# --- catch-all ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rest"),
    [
        ("/files", ""),
        ("/files/", ""),
        ("/files/a", "a"),
        ("/files/a/b/c.txt", "a/b/c.txt"),
        ("/files/a/b/", "a/b/"),
        ("/files/a//b", "a//b"),
        ("/files//", "/"),
        ("/files/a%20b/c%2Fd", "a b/c/d"),
    ],
)
def test_catch_all_captures_the_rest(path: str, rest: str) -> None:
    assert hit(table("GET /files/*"), "GET", path) == ("GET /files/*", {"*": rest})


def test_catch_all_with_params_before_it() -> None:
    t = table("GET /buckets/:bucket/*")
    assert hit(t, "GET", "/buckets/b1/x/y") == (
        "GET /buckets/:bucket/*",
        {"bucket": "b1", "*": "x/y"},
    )


def test_root_catch_all_matches_everything() -> None:
    t = table("* /*")
    assert hit(t, "PATCH", "/") == ("* /*", {"*": ""})
    assert hit(t, "GET", "/a/b") == ("* /*", {"*": "a/b"})


def test_catch_all_does_not_match_a_sibling_prefix() -> None:
    assert table("GET /files/*").match("GET", "/filesystem") is None


# --- precedence -----------------------------------------------------------------

PRECEDENCE_KEYS = [
    "GET /items/*",
    "GET /items/:id",
    "GET /items/new",
    "GET /items/:id/detail",
    "GET /items/new/detail",
    "GET /:kind/special",
]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/items/new", "GET /items/new"),
        ("/items/42", "GET /items/:id"),
        ("/items/42/detail", "GET /items/:id/detail"),
        ("/items/new/detail", "GET /items/new/detail"),
        ("/items/42/other", "GET /items/*"),
        ("/items", "GET /items/*"),
        ("/items/special", "GET /items/:id"),
        ("/things/special", "GET /:kind/special"),
    ],
)
@pytest.mark.parametrize("order", [1, -1])
def test_most_specific_wins_whatever_the_order(order: int, path: str, expected: str) -> None:
    t = table(*PRECEDENCE_KEYS[::order])
    assert key_of(t, "GET", path) == expected


def test_backtracks_from_a_literal_that_fails_deeper() -> None:
    t = table("GET /a/b", "GET /a/:x/c", "GET /:y/b/d")
    assert hit(t, "GET", "/a/b/c") == ("GET /a/:x/c", {"x": "b"})
    assert hit(t, "GET", "/a/b/d") == ("GET /:y/b/d", {"y": "a"})


def test_leftmost_segment_decides_first() -> None:
    t = table("GET /a/:x/c", "GET /:y/b/c")
    assert key_of(t, "GET", "/a/b/c") == "GET /a/:x/c"


def test_backtracking_discards_params_of_failed_branches() -> None:
    t = table("GET /:a/:b/x", "GET /:c/y")
    assert hit(t, "GET", "/1/y") == ("GET /:c/y", {"c": "1"})


def test_exact_route_beats_catch_all_at_the_same_place() -> None:
    t = table("GET /files/*", "GET /files")
    assert key_of(t, "GET", "/files") == "GET /files"
    assert key_of(t, "GET", "/files/") == "GET /files"


# --- methods --------------------------------------------------------------------


def test_method_must_match() -> None:
    t = table("POST /chat")
    assert t.match("GET", "/chat") is None
    assert key_of(t, "POST", "/chat") == "POST /chat"


def test_methods_are_case_sensitive() -> None:
    assert table("GET /x").match("get", "/x") is None


@pytest.mark.parametrize("word", ["*", "ANY"])
def test_any_method_route(word: str) -> None:
    t = table(f"{word} /x")
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]:
        assert key_of(t, method, "/x") == f"{word} /x"


def test_exact_method_beats_any_on_the_same_path() -> None:
    t = table("* /x", "POST /x")
    assert key_of(t, "POST", "/x") == "POST /x"
    assert key_of(t, "GET", "/x") == "* /x"


def test_head_falls_back_to_get() -> None:
    t = table("GET /x", "GET /y/:id")
    assert key_of(t, "HEAD", "/x") == "GET /x"
    assert hit(t, "HEAD", "/y/1") == ("GET /y/:id", {"id": "1"})


def test_head_route_beats_get_and_any_beats_the_get_fallback() -> None:
    assert key_of(table("GET /x", "HEAD /x"), "HEAD", "/x") == "HEAD /x"
    assert key_of(table("GET /x", "* /x"), "HEAD", "/x") == "* /x"


def test_path_specificity_comes_before_method() -> None:
    t = table("* /items/special", "GET /items/:id")
    assert key_of(t, "GET", "/items/special") == "* /items/special"


def test_a_path_that_refuses_the_method_lets_a_less_specific_one_answer() -> None:
    t = table("GET /items/new", "POST /items/:id", "DELETE /items/*")
    assert hit(t, "POST", "/items/new") == ("POST /items/:id", {"id": "new"})
    assert hit(t, "DELETE", "/items/new") == ("DELETE /items/*", {"*": "new"})
    assert key_of(t, "GET", "/items/new") == "GET /items/new"


def test_unknown_methods_reach_only_any_routes() -> None:
    t = table("GET /x", "ANY /y")
    assert t.match("PROPFIND", "/x") is None
    assert key_of(t, "PROPFIND", "/y") == "ANY /y"


# --- allowed methods (405) ----------------------------------------------------------


def test_allowed_methods_lists_what_answers_the_path() -> None:
    t = table("GET /items/new", "POST /items/:id", "PUT /other")
    assert t.allowed_methods("/items/new") == ["GET", "HEAD", "POST"]
    assert t.allowed_methods("/items/7") == ["POST"]
    assert t.allowed_methods("/nothing") == []


def test_allowed_methods_of_an_any_route_is_every_method() -> None:
    assert table("* /x").allowed_methods("/x") == [
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
    ]


def test_allowed_methods_with_head_route_only() -> None:
    assert table("HEAD /x").allowed_methods("/x") == ["HEAD"]


# --- building -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "clash"),
    [
        (["GET /a/:x", "GET /a/:y"], '"GET /a/:y"'),
        (["GET /a", "GET /a/"], '"GET /a/"'),
        (["* /a", "ANY /a"], '"ANY /a"'),
        (["GET /f/*", "GET /f/*/"], '"GET /f/*/"'),
    ],
)
def test_duplicate_routes_are_refused_naming_both(keys: list[str], clash: str) -> None:
    with pytest.raises(ValueError) as info:
        table(*keys)
    assert clash in str(info.value)
    assert f'"{keys[0]}"' in str(info.value)


def test_same_shape_different_methods_is_fine() -> None:
    t = table("GET /a/:x", "POST /a/:y")
    assert hit(t, "GET", "/a/1") == ("GET /a/:x", {"x": "1"})
    assert hit(t, "POST", "/a/1") == ("POST /a/:y", {"y": "1"})


def test_bad_key_is_named() -> None:
    with pytest.raises(ValueError, match='route key "GET items" is invalid'):
        table("GET /ok", "GET items")


def test_template_is_checked_against_the_key() -> None:
    with pytest.raises(ValueError) as info:
        RouteTable.from_routes({"GET /items/:id": route("/v2/${params.item}")})
    message = str(info.value)
    assert '"GET /items/:id"' in message and "${params.item}" in message
    assert "${params.id}" in message  # what would be right


def test_catch_all_template_needs_a_catch_all_key() -> None:
    with pytest.raises(ValueError, match=r'no "\*" segment'):
        RouteTable.from_routes({"GET /items/:id": route("/v2/${params.*}")})
    RouteTable.from_routes({"GET /items/*": route("/v2/${params.*}")})


def test_match_params_are_read_only_for_static_routes() -> None:
    found = table("GET /x").match("GET", "/x")
    assert found is not None
    with pytest.raises(TypeError):
        found.params["x"] = "y"  # type: ignore[index]


# --- properties -----------------------------------------------------------------

segment_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12)


def encode(segments: Iterable[str]) -> str:
    return "/" + "/".join(quote(s, safe="") for s in segments)


@given(st.lists(segment_text, min_size=1, max_size=6))
def test_any_encoded_value_round_trips_through_a_param(values: list[str]) -> None:
    keys = "/".join(f":p{i}" for i in range(len(values)))
    t = table(f"GET /{keys}")
    found = t.match("GET", encode(values))
    assert found is not None
    assert dict(found.params) == {f"p{i}": v for i, v in enumerate(values)}


@given(st.lists(segment_text, max_size=6))
def test_catch_all_value_is_the_decoded_rest(values: list[str]) -> None:
    found = table("GET /files/*").match("GET", "/files" + encode(values) if values else "/files")
    assert found is not None
    assert found.params["*"] == "/".join(values)


@given(st.text(max_size=40), st.sampled_from(["GET", "POST", "HEAD", "DELETE", "BREW"]))
def test_match_never_raises_and_agrees_with_allowed_methods(path: str, method: str) -> None:
    t = table(*PRECEDENCE_KEYS, "POST /items/:id", "* /any/*", "HEAD /h")
    found = t.match(method, "/" + path)
    allowed = t.allowed_methods("/" + path)
    if method in ("GET", "POST", "HEAD", "DELETE"):
        assert (found is not None) == (method in allowed)
