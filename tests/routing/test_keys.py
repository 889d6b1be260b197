import pytest

from farebox.routing.keys import ANY_METHOD, Segment, parse_route_key


def test_parses_method_and_segments() -> None:
    key = parse_route_key("GET /items/:id/files/*")
    assert key.method == "GET"
    assert key.segments == (
        Segment("static", "items"),
        Segment("param", "id"),
        Segment("static", "files"),
        Segment("catch_all", "*"),
    )
    assert key.param_names == ("id", "*")
    assert not key.is_static


@pytest.mark.parametrize("word", ["*", "ANY"])
def test_any_method_spellings(word: str) -> None:
    assert parse_route_key(f"{word} /x").method == ANY_METHOD


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method(method: str) -> None:
    assert parse_route_key(f"{method} /x").method == method


def test_root_and_trailing_slash() -> None:
    assert parse_route_key("GET /").segments == ()
    assert parse_route_key("GET /").static_path == "/"
    assert parse_route_key("GET /items/").static_path == "/items"


def test_pattern_ignores_param_names() -> None:
    assert parse_route_key("GET /a/:x").pattern == parse_route_key("POST /a/:y").pattern
    assert parse_route_key("GET /a/:x").pattern != parse_route_key("GET /a/x").pattern


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("/items", '"METHOD /path"'),
        ("GET", '"METHOD /path"'),
        ("FETCH /items", '"FETCH" is not a method'),
        ("get /items", 'upper case: "GET"'),
        ("any /items", 'upper case: "ANY"'),
        ("GET items", 'must start with "/"'),
        ("GET /a b", "must not contain spaces"),
        ("GET /items?x=1", "query"),
        ("GET /items#top", "query or fragment"),
        ("GET /a//b", 'empty segment ("//")'),
        ("GET /*/x", "must be the last segment"),
        ("GET /files/*.json", "whole, final segment"),
        ("GET /a/:", "is not a parameter"),
        ("GET /a/:1x", "is not a parameter"),
        ("GET /a/:x-y", "is not a parameter"),
        ("GET /a/:id/b/:id", '":id" appears twice'),
    ],
)
def test_bad_keys_are_named_and_explained(key: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_route_key(key)
    assert f'route key "{key}" is invalid' in str(info.value)
    assert fragment in str(info.value)
