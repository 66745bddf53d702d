"""Which regex patterns reach llama.cpp's grammar builder, and in what form: plain ones as they
are; the common escapes (``\\d``, ``\\w``, an escaped punctuation mark) rewritten as character
classes, since an escape crashes the builder; the rest left out, as is any pattern beside
length bounds (the grammar would drop the bounds)."""

from __future__ import annotations

import pytest

from button.llm.structured import grammar_safe

NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,30}$"}


def test_a_plain_pattern_is_kept_at_any_depth() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": NAME}}}
    assert grammar_safe(schema) == schema


REWRITTEN = [
    ("^B-\\d+$", "^B-[0-9]+$"),
    ("^\\d{4}-\\d{2}-\\d{2}$", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),  # the fixture's dates (it crashed)
    ("^[\\w.-]+@example\\.com$", "^[A-Za-z0-9_.-]+@example[.]com$"),
    ("^v\\d+\\.\\d+$", "^v[0-9]+[.][0-9]+$"),
    ("^[A-Z]{2}\\-\\d$", "^[A-Z]{2}[-][0-9]$"),
]


@pytest.mark.parametrize(("pattern", "grammar_form"), REWRITTEN)
def test_common_escapes_are_rewritten_as_classes(pattern: str, grammar_form: str) -> None:
    assert grammar_safe({"type": "string", "pattern": pattern}) == {"type": "string", "pattern": grammar_form}


LEFT_OUT = [
    {"type": "string", "pattern": "^\\bword\\b$"},  # a word boundary has no class
    {"type": "string", "pattern": "^\\S+$"},  # nor does "not a space"
    {"type": "string", "pattern": "^[\\d\\]]+$"},  # an escape the class would have to keep
    {"type": "string", "pattern": "^(?!tmp)[a-z]+$"},
    {"type": "string", "pattern": "^[a-z ]*$", "maxLength": 80},  # the grammar would drop the bound
]


@pytest.mark.parametrize("schema", LEFT_OUT)
def test_other_escapes_lookarounds_and_patterns_beside_length_bounds_are_left_out(
    schema: dict[str, object],
) -> None:
    assert "pattern" not in grammar_safe(schema)


def test_pattern_properties_are_left_out_but_a_parameter_named_pattern_is_not() -> None:
    schema = {
        "type": "object",
        "properties": {"pattern": {"type": "string"}},
        "patternProperties": {"^x-": {"type": "string"}},
    }
    assert grammar_safe(schema) == {"type": "object", "properties": {"pattern": {"type": "string"}}}
