"""Which regex patterns reach llama.cpp's grammar builder: the plain ones, and only where they
do not take the place of length bounds."""

from __future__ import annotations

from button.llm.structured import grammar_safe

NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,30}$"}


def test_a_plain_pattern_is_kept_at_any_depth() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": NAME}}}
    assert grammar_safe(schema) == schema


def test_escapes_lookarounds_and_patterns_beside_length_bounds_are_left_out() -> None:
    left_out = [
        {"type": "string", "pattern": "^B-\\d+$"},  # crashed the server
        {"type": "string", "pattern": "^(?!tmp)[a-z]+$"},
        {"type": "string", "pattern": "^[a-z ]*$", "maxLength": 80},  # the grammar would drop the bound
    ]
    for schema in left_out:
        assert "pattern" not in grammar_safe(schema)
    assert grammar_safe(left_out[2]) == {"type": "string", "maxLength": 80}


def test_pattern_properties_are_left_out_but_a_parameter_named_pattern_is_not() -> None:
    schema = {
        "type": "object",
        "properties": {"pattern": {"type": "string"}},
        "patternProperties": {"^x-": {"type": "string"}},
    }
    assert grammar_safe(schema) == {"type": "object", "properties": {"pattern": {"type": "string"}}}
