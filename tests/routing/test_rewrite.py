import pytest

from farebox.config.schema import Route
from farebox.routing.rewrite import (
    PathError,
    TemplateError,
    check_template,
    template_params,
    upstream_target,
)
from farebox.routing.table import RouteTable

BASE = "http://upstream:8080/api"


def target(template: str | None, path: str, params: dict[str, str], query: str = "") -> str:
    return upstream_target(BASE, template, path, params, query)


def routed(key: str, template: str | None, path: str, query: str = "") -> str:
    """Match like the gateway does, then rewrite."""
    t = RouteTable.from_routes({key: Route(upstream="api", path=template)})
    found = t.match(key.split()[0], path)
    assert found is not None, path
    return upstream_target(BASE, template, path, found.params, query)


# --- no template: forward the raw path --------------------------------------------


def test_raw_path_is_forwarded_as_is() -> None:
    assert target(None, "/v1/chat/completions", {}) == f"{BASE}/v1/chat/completions"
    assert target(None, "/a%20b/c%2Fd/", {}) == f"{BASE}/a%20b/c%2Fd/"
    assert target(None, "/", {}) == f"{BASE}/"


def test_query_is_forwarded_verbatim() -> None:
    assert target(None, "/x", {}, "a=1&b=%20&a=2") == f"{BASE}/x?a=1&b=%20&a=2"
    assert target(None, "/x", {}, "") == f"{BASE}/x"


def test_base_url_trailing_slash_does_not_double() -> None:
    assert upstream_target("http://h/api/", None, "/x", {}, "") == "http://h/api/x"
    assert upstream_target("http://h", None, "/x", {}, "") == "http://h/x"


@pytest.mark.parametrize(
    "path",
    [
        "/..",
        "/../secret",
        "/a/../../etc/passwd",
        "/a/./b",
        "/.",
        "/a/..",
        "/%2e%2e/secret",
        "/%2E%2E/secret",
        "/.%2e/secret",
        "/%2e./secret",
        "/%2e/x",
        "/a/%2e%2e%2f%2e%2e/x",
        "/a%2F..%2Fb",
        "/a/%252e%252e/x",
        "/a/..%5Cx",
        "/a/..\\x",
        "/a/..;/x",
        "/a/%2e%2e;jsessionid=1/x",
    ],
)
def test_raw_dot_segments_are_refused_in_every_spelling(path: str) -> None:
    with pytest.raises(PathError, match=r'"\." or "\.\." segment'):
        target(None, path, {})


@pytest.mark.parametrize(
    "path", ["/a..b", "/...", "/.well-known/x", "/v1.2/x", "/a/b.", "/%2e%2e%2e"]
)
def test_dots_that_are_not_dot_segments_are_fine(path: str) -> None:
    assert target(None, path, {}) == BASE + path


@pytest.mark.parametrize("path", ["x", "", "http://evil/x"])
def test_raw_path_must_be_absolute(path: str) -> None:
    with pytest.raises(PathError, match='must start with "/"'):
        target(None, path, {})


@pytest.mark.parametrize("path", ["/a?b", "/a#b", "/a b", "/a\x00b", "/a\r\nHost: evil"])
def test_raw_path_cannot_inject_query_fragment_or_header(path: str) -> None:
    with pytest.raises(PathError):
        target(None, path, {})


# --- template with :params ------------------------------------------------------------


def test_fixed_template_replaces_the_path() -> None:
    assert target("/v1/messages", "/ai/claude", {}, "beta=1") == f"{BASE}/v1/messages?beta=1"


def test_params_are_substituted() -> None:
    assert (
        target("/v2/items/${params.id}/detail", "/items/7", {"id": "7"})
        == f"{BASE}/v2/items/7/detail"
    )


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a/b", "a%2Fb"),
        ("a?x=1", "a%3Fx%3D1"),
        ("a#frag", "a%23frag"),
        ("a b", "a%20b"),
        ("100%", "100%25"),
        ("caf\u00e9", "caf%C3%A9"),
        ("a;b", "a%3Bb"),
        ("a:b@c", "a%3Ab%40c"),
        ("...", "..."),
        ("~user-1_2.txt", "~user-1_2.txt"),
    ],
)
def test_param_values_are_fully_encoded(value: str, encoded: str) -> None:
    assert target("/v/${params.id}", "/ignored", {"id": value}) == f"{BASE}/v/{encoded}"


@pytest.mark.parametrize(
    "value",
    [".", "..", "../x", "x/..", "a/../b", "..\\x", "%2e%2e", "%2E.", "%252e%252e", ".\\..", "..;"],
)
def test_param_values_that_step_upward_are_refused(value: str) -> None:
    with pytest.raises(PathError, match=r'path parameter "id" .* "\." or "\.\." segment'):
        target("/v/${params.id}", "/ignored", {"id": value})


@pytest.mark.parametrize("value", ["a\x00b", "a\nb", "\r", "\x7f", "\x1b[0m"])
def test_param_values_with_control_characters_are_refused(value: str) -> None:
    with pytest.raises(PathError, match='path parameter "id" contains a control character'):
        target("/v/${params.id}", "/ignored", {"id": value})


def test_empty_param_value_is_refused() -> None:
    with pytest.raises(PathError, match='path parameter "id" is empty'):
        target("/v/${params.id}", "/ignored", {"id": ""})


def test_neighbouring_params_cannot_join_into_dot_dot() -> None:
    with pytest.raises(PathError):
        target("/v/${params.a}${params.b}/x", "/", {"a": "%2", "b": "e%2e"})
    assert target("/v/${params.a}${params.b}", "/", {"a": "x", "b": "y"}) == f"{BASE}/v/xy"


def test_param_in_the_middle_of_a_segment() -> None:
    assert target("/v/item-${params.id}.json", "/", {"id": "7"}) == f"{BASE}/v/item-7.json"


def test_template_query_comes_before_the_request_query() -> None:
    tpl = "/openai/deployments/${params.d}/chat?api-version=2024-06-01"
    assert (
        target(tpl, "/", {"d": "gpt"}, "x=1")
        == f"{BASE}/openai/deployments/gpt/chat?api-version=2024-06-01&x=1"
    )
    assert (
        target(tpl, "/", {"d": "gpt"})
        == f"{BASE}/openai/deployments/gpt/chat?api-version=2024-06-01"
    )


def test_through_the_table_encoded_slash_in_a_param_stays_encoded() -> None:
    assert routed("GET /items/:id", "/v2/${params.id}", "/items/a%2Fb") == f"{BASE}/v2/a%2Fb"
    with pytest.raises(PathError):
        routed("GET /items/:id", "/v2/${params.id}", "/items/%2e%2e")
    with pytest.raises(PathError):
        routed("GET /items/:id", "/v2/${params.id}", "/items/..%2F..%2Fadmin")


def test_template_without_leading_slash_cannot_extend_the_base_segment() -> None:
    assert target("${params.id}", "/", {"id": "x"}) == f"{BASE}/x"


def test_missing_param_is_a_config_error_not_the_callers() -> None:
    with pytest.raises(TemplateError, match=r"\$\{params.id\}"):
        target("/v/${params.id}", "/", {})
    assert not issubclass(TemplateError, PathError)


# --- template with the catch-all -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/files/a/b/c.txt", "/store/a/b/c.txt"),
        ("/files/a/b/", "/store/a/b/"),
        ("/files", "/store/"),
        ("/files/", "/store/"),
        ("/files/a%20b/c", "/store/a%20b/c"),
        ("/files/a+b/c:d", "/store/a%2Bb/c%3Ad"),
        ("/files/a?b", "/store/a%3Fb"),
    ],
)
def test_catch_all_keeps_slashes_and_encodes_segments(path: str, expected: str) -> None:
    assert routed("GET /files/*", "/store/${params.*}", path) == BASE + expected


@pytest.mark.parametrize(
    "path",
    [
        "/files/../secret",
        "/files/a/../../secret",
        "/files/%2e%2e/secret",
        "/files/a/%2E%2E",
        "/files/./x",
        "/files/%252e%252e/x",
        "/files/..;/x",
        "/files/..%5C..%5Cx",
    ],
)
def test_catch_all_dot_segments_are_refused(path: str) -> None:
    with pytest.raises(PathError, match=r'"\." or "\.\." segment'):
        routed("GET /files/*", "/store/${params.*}", path)


@pytest.mark.parametrize("path", ["/files/a%2Fb", "/files/x/a%2fb/c", "/files/%2F"])
def test_catch_all_encoded_slash_is_refused(path: str) -> None:
    with pytest.raises(PathError, match=r"encoded slash \(%2F\)"):
        routed("GET /files/*", "/store/${params.*}", path)


def test_catch_all_control_characters_are_refused() -> None:
    with pytest.raises(PathError, match="control character"):
        routed("GET /files/*", "/store/${params.*}", "/files/a%00b")


def test_catch_all_from_params_alone_splits_on_slashes() -> None:
    # params not from this request path: the value's own slashes separate segments
    assert target("/s/${params.*}", "/elsewhere", {"*": "a/b c"}) == f"{BASE}/s/a/b%20c"
    with pytest.raises(PathError):
        target("/s/${params.*}", "/elsewhere", {"*": "a/../b"})


def test_params_and_catch_all_together() -> None:
    assert (
        routed("GET /b/:bucket/*", "/v1/${params.bucket}/o/${params.*}", "/b/my%20b/x/y")
        == f"{BASE}/v1/my%20b/o/x/y"
    )


# --- checking templates at startup --------------------------------------------------------


def test_template_params() -> None:
    assert template_params("/a/${params.id}/${params.*}") == {"id", "*"}
    assert template_params("/plain") == frozenset()


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("v1/x", 'must start with "/"'),
        ("/v1/${params.id", None),
        ("/v1/${id}", '"${id}" is not a parameter reference'),
        ("/v1/${params.a-b}", "is not a parameter reference"),
        ("/v1/${env.KEY}", "is not a parameter reference"),
        ("/v1/x?key=${params.id}", "only be used in the path"),
        ("/v1/../admin", '"." / ".." segments'),
        ("/v1/%2e%2e/admin", '"." / ".." segments'),
        ("/v1/x#frag", '"#"'),
        ("/v1/${params.other}", 'no ":other" segment'),
    ],
)
def test_bad_templates_are_refused_naming_the_route(template: str, fragment: str | None) -> None:
    if fragment is None:  # an unterminated "${" is plain text, which is allowed
        check_template(template, ["id"], key="GET /x/:id")
        return
    with pytest.raises(TemplateError) as info:
        check_template(template, ["id"], key="GET /x/:id")
    assert 'route "GET /x/:id"' in str(info.value)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "template",
    ["/", "/v1/${params.id}", "/v1/${params.id}.json", "/v1/.well-known", "/x?a=1&b=2"],
)
def test_good_templates_pass(template: str) -> None:
    check_template(template, ["id"], key="GET /x/:id")
