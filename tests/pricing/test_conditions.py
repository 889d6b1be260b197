from typing import Any

import pytest

from farebox.pricing.conditions import compile_condition, reads_body, text_of
from farebox.pricing.quote import RequestFacts
from tests.pricing.support import facts


def holds(field: str, expected: str | int | float | bool, request: RequestFacts) -> bool:
    return compile_condition(field, expected)(request)


# --- body --------------------------------------------------------------------------


def test_body_top_level_field() -> None:
    assert holds("body.model", "gpt-4o", facts(body={"model": "gpt-4o"}))
    assert not holds("body.model", "gpt-4o", facts(body={"model": "gpt-4o-mini"}))


def test_body_nested_objects() -> None:
    body = {"options": {"quality": {"level": "hd"}}}
    assert holds("body.options.quality.level", "hd", facts(body=body))
    assert not holds("body.options.quality.level", "sd", facts(body=body))
    assert not holds("body.options.quality.missing", "*", facts(body=body))


def test_body_list_indexes() -> None:
    body = {"messages": [{"role": "system"}, {"role": "user", "content": ["a", "b"]}]}
    assert holds("body.messages.0.role", "system", facts(body=body))
    assert holds("body.messages.1.role", "user", facts(body=body))
    assert holds("body.messages.1.content.1", "b", facts(body=body))
    assert not holds("body.messages.2.role", "*", facts(body=body))  # out of range
    assert not holds("body.messages.-1.role", "*", facts(body=body))  # no negative indexes
    assert not holds("body.messages.first.role", "*", facts(body=body))


def test_body_that_is_a_list_at_the_top() -> None:
    assert holds("body.0.id", "7", facts(body=[{"id": 7}]))


def test_numeric_part_is_a_key_in_an_object() -> None:
    assert holds("body.tiers.0", "free", facts(body={"tiers": {"0": "free"}}))


def test_body_path_through_a_scalar_is_missing() -> None:
    assert not holds("body.model.name", "*", facts(body={"model": "gpt-4o"}))
    assert not holds("body.model", "*", facts(body="just a string"))


@pytest.mark.parametrize("body", [None, {}, {"other": 1}, {"model": None}, [], "text", 3])
def test_missing_body_field_never_matches_even_star(body: Any) -> None:
    for pattern in ["*", "?*", "", "null", "None"]:
        assert not holds("body.model", pattern, facts(body=body)), (body, pattern)


# --- query, headers, params -----------------------------------------------------------


def test_query() -> None:
    assert holds("query.tier", "premium", facts(query={"tier": "premium"}))
    assert not holds("query.tier", "premium", facts(query={"tier": "basic"}))
    assert not holds("query.tier", "*", facts(query={}))


def test_query_names_are_case_sensitive() -> None:
    assert not holds("query.Tier", "premium", facts(query={"tier": "premium"}))


def test_empty_query_value_is_present() -> None:
    assert holds("query.flag", "*", facts(query={"flag": ""}))
    assert holds("query.flag", "", facts(query={"flag": ""}))
    assert not holds("query.flag", "?*", facts(query={"flag": ""}))


def test_query_name_may_contain_dots() -> None:
    assert holds("query.a.b", "1", facts(query={"a.b": "1"}))


@pytest.mark.parametrize(
    "field", ["headers.x-priority", "headers.X-Priority", "headers.X-PRIORITY"]
)
def test_header_names_are_case_insensitive(field: str) -> None:
    assert holds(field, "high", facts(headers={"x-priority": "high"}))


def test_header_values_are_case_sensitive() -> None:
    assert not holds("headers.x-priority", "high", facts(headers={"x-priority": "HIGH"}))


def test_missing_header_never_matches() -> None:
    assert not holds("headers.x-priority", "*", facts(headers={}))


def test_params_and_catch_all() -> None:
    assert holds("params.id", "123*", facts(params={"id": "12345"}))
    assert not holds("params.id", "123*", facts(params={"id": "0123"}))
    assert holds("params.*", "reports/*.pdf", facts(params={"*": "reports/2024/q1.pdf"}))
    assert not holds("params.id", "*", facts(params={}))


# --- globs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("claude-haiku-*", "claude-haiku-3-5", True),
        ("claude-haiku-*", "claude-haiku-", True),
        ("claude-haiku-*", "claude-sonnet-4", False),
        ("claude-haiku-*", "Claude-Haiku-3", False),  # case-sensitive
        ("*-mini", "gpt-4o-mini", True),
        ("gpt-?o", "gpt-4o", True),
        ("gpt-?o", "gpt-40o", False),
        ("v[12]", "v1", True),
        ("v[12]", "v3", False),
        ("v[!12]", "v3", True),
        ("v[0-9]", "v7", True),
        ("*", "", True),
        ("*", "anything at all", True),
        ("a*b*c", "a-x-b-y-c", True),
        ("a*", "a\nb", True),  # * spans newlines
        ("gpt-4o", "gpt-4o", True),  # no glob characters: plain equality
        ("gpt-4o", "gpt-4o-mini", False),
        ("gpt.4o", "gpt-4o", False),  # "." is literal, not regex
        ("(a|b)", "a", False),
        ("(a|b)", "(a|b)", True),
        ("[[]beta]", "[beta]", True),  # a literal "[" in fnmatch style
        ("50%", "50%", True),
    ],
)
def test_glob_patterns(pattern: str, value: str, expected: bool) -> None:
    assert holds("query.v", pattern, facts(query={"v": value})) is expected


# --- typed values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "value", "result"),
    [
        (True, True, True),
        (True, "true", True),
        (True, False, False),
        (True, 1, False),
        (True, "True", False),
        (False, False, True),
        ("true", True, True),
        (3, 3, True),
        (3, "3", True),
        (3, 3.0, True),
        (3, 3.5, False),
        (3, True, False),
        (3.0, 3, True),
        (0.5, 0.5, True),
        (0.5, "0.5", True),
        ("3*", 35, True),
        ("3.*", 3.25, True),
        (0, 0, True),
        (0, False, False),
        (-1, -1, True),
    ],
)
def test_yaml_scalars_match_their_string_form(
    expected: str | int | float | bool, value: Any, result: bool
) -> None:
    assert holds("body.v", expected, facts(body={"v": value})) is result


def test_objects_and_arrays_match_only_star() -> None:
    body = {"tools": [{"type": "function"}], "options": {"a": 1}}
    assert holds("body.tools", "*", facts(body=body))
    assert holds("body.options", "*", facts(body=body))
    assert not holds("body.tools", "?*", facts(body=body))
    assert not holds("body.tools", "[]", facts(body=body))
    assert not holds("body.options", "{*}", facts(body=body))


def test_huge_integers_do_not_crash() -> None:
    huge = 10**5000
    assert not holds("body.n", "1*", facts(body={"n": huge}))
    assert holds("body.n", "*", facts(body={"n": huge}))


def test_text_of() -> None:
    assert text_of("x") == "x"
    assert text_of(True) == "true"
    assert text_of(False) == "false"
    assert text_of(12) == "12"
    assert text_of(2.0) == "2"
    assert text_of(1e20) == "100000000000000000000"
    assert text_of(0.1) == "0.1"
    assert text_of(float("inf")) == "inf"
    assert text_of(None) is None
    assert text_of([1]) is None
    assert text_of({"a": 1}) is None


# --- compiling ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["model", "bdy.model", "body", "body.", "query.", "cookies.session", "Body.model"]
)
def test_unknown_fields_are_refused_with_the_right_form(field: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_condition(field, "x")
    assert f'"{field}"' in str(info.value)
    assert "body.NAME, query.NAME, headers.NAME, params.NAME" in str(info.value)


@pytest.mark.parametrize("field", ["body..model", "body.a.", "body.a..b"])
def test_empty_body_path_parts_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match="empty part"):
        compile_condition(field, "x")


def test_reads_body() -> None:
    assert reads_body("body.model")
    assert not reads_body("query.body")
    assert not reads_body("headers.body")
