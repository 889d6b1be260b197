"""${ENV_VAR} interpolation: in values only, with defaults, and path-precise errors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from farebox.config import parse_config
from farebox.config.env import interpolate

from .support import BASE, UPSTREAMS, config, problems, problems_of

OPENAI = """\
upstreams:
  openai:
    url: https://api.openai.com
    headers:
      Authorization: Bearer ${OPENAI_API_KEY}
routes:
  "GET /v1/models": {upstream: openai, price: "$0"}
"""


def test_a_set_variable_is_substituted_in_a_header_value() -> None:
    loaded = parse_config(OPENAI, env={"OPENAI_API_KEY": "sk-test"}).config
    assert loaded.upstreams["openai"].headers == {"Authorization": "Bearer sk-test"}


def test_a_missing_variable_names_the_variable_and_where_it_is_used() -> None:
    assert problems_of(OPENAI, env={}) == [
        "upstreams.openai.headers.Authorization: environment variable OPENAI_API_KEY is not set"
    ]


def test_default_is_used_when_unset_or_empty() -> None:
    head = 'upstreams:\n  api: {url: "${API_URL:-https://fallback.example}"}\n'
    routes = '"GET /y": {upstream: api, price: "$0"}'
    for env in ({}, {"API_URL": ""}):
        assert config(routes, head=head, env=env).upstreams["api"].url == "https://fallback.example"
    set_env = {"API_URL": "https://set.example"}
    assert config(routes, head=head, env=set_env).upstreams["api"].url == "https://set.example"


def test_an_empty_variable_without_default_is_used_as_is() -> None:
    head = UPSTREAMS.replace("api.example.com", "api.example.com${SUFFIX}")
    loaded = config('"GET /y": {upstream: api, price: "$0"}', head=head, env={"SUFFIX": ""})
    assert loaded.upstreams["api"].url == "https://api.example.com"


def test_interpolated_text_is_then_validated_as_its_field_type() -> None:
    head = BASE + "gateway: {port: '${PORT}', discovery: '${DISCOVERY}', trustProxy: '${HOPS}'}\n"
    env = {"PORT": "8080", "DISCOVERY": "false", "HOPS": "2"}
    gateway = config('"GET /y": {upstream: api, price: "$0"}', head=head, env=env).gateway
    assert (gateway.port, gateway.discovery, gateway.trust_proxy) == (8080, False, 2)


def test_prices_can_come_from_the_environment() -> None:
    loaded = config('"GET /y": {upstream: api, price: "${PRICE}"}', env={"PRICE": "$0.25"})
    assert loaded.routes["GET /y"].price == 250_000


def test_a_missing_variable_is_reported_once_not_again_as_a_bad_value() -> None:
    head = BASE + "gateway: {port: '${PORT}'}\n"
    assert problems('"GET /y": {upstream: api, price: "$0"}', head=head) == [
        "gateway.port: environment variable PORT is not set"
    ]


def test_every_missing_variable_is_reported() -> None:
    head = 'upstreams:\n  api: {url: "https://${HOST}", headers: {X-Key: "${A}-${B}"}}\n'
    assert problems('"GET /y": {upstream: api, price: "$0"}', head=head) == [
        "upstreams.api.url: environment variable HOST is not set",
        "upstreams.api.headers.X-Key: environment variable A is not set",
        "upstreams.api.headers.X-Key: environment variable B is not set",
    ]


def test_keys_are_not_interpolated() -> None:
    head = 'upstreams:\n  api: {url: "https://a.example", headers: {"${NAME}": v}}\n'
    loaded = config('"GET /y": {upstream: api, price: "$0"}', head=head, env={"NAME": "X"})
    assert loaded.upstreams["api"].headers == {"${NAME}": "v"}


def test_path_rewrite_params_are_left_for_the_router() -> None:
    routes = '"GET /d/:id": {upstream: api, price: "$0", path: "/q/${params.id}"}'
    loaded = config(routes, env={})
    assert loaded.routes["GET /d/:id"].path == "/q/${params.id}"


def test_query_references_are_not_taken_for_environment_variables() -> None:
    routes = '"GET /d": {upstream: api, price: "$0", metadata: {note: "${query.f}"}}'
    assert config(routes, env={}).routes["GET /d"].metadata == {"note": "${query.f}"}


def test_doubled_dollar_writes_a_literal_reference() -> None:
    routes = '"GET /y": {upstream: api, price: "$0", metadata: {note: "$${HOME} stays"}}'
    assert config(routes, env={"HOME": "/root"}).routes["GET /y"].metadata == {
        "note": "${HOME} stays"
    }


def test_malformed_reference_says_how_to_write_one() -> None:
    routes = '"GET /y": {upstream: api, price: "$0", metadata: {note: "${not a name}"}}'
    assert problems(routes) == [
        'routes."GET /y".metadata.note: ${not a name} is not an environment variable '
        "reference; write ${NAME} or ${NAME:-default} (NAME: letters, digits and _), "
        "or $${...} for a literal ${...}"
    ]


def test_values_in_lists_are_interpolated_with_their_index() -> None:
    head = BASE + "accepts:\n  - {network: '${NET}'}\n"
    assert problems('"GET /y": {upstream: api, price: "$0.01"}', head=head) == [
        "accepts[0].network: environment variable NET is not set"
    ]
    assert config(
        '"GET /y": {upstream: api, price: "$0.01"}', head=head, env={"NET": "base-sepolia"}
    )


# -- properties ---------------------------------------------------------------

_text_without_dollar = st.text(alphabet=st.characters(blacklist_characters="$"))


@given(_text_without_dollar)
def test_text_without_references_is_unchanged(text: str) -> None:
    assert interpolate({"a": [text]}, {}) == ({"a": [text]}, [])


@given(st.text(), _text_without_dollar, _text_without_dollar)
def test_a_variable_value_is_inserted_verbatim(value: str, before: str, after: str) -> None:
    # Values are not interpolated again: a secret containing "${" stays intact.
    result, found = interpolate(before + "${SECRET}" + after, {"SECRET": value})
    assert (result, found) == (before + value + after, [])


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), _text_without_dollar)
def test_any_valid_name_has_a_default(name: str, default: str) -> None:
    default = default.replace("}", "").replace("{", "")
    assert interpolate("${" + name + ":-" + default + "}", {}) == (default, [])
