"""Arguments generated from a tool's input schema, for calling an original and its twin alike.

The JSON Schema is translated into a Hypothesis strategy and Hypothesis draws
the values, derandomised, so the same schema gives the same arguments on every
run. We translate the schema ourselves rather than use hypothesis-jsonschema,
whose last release (0.23, early 2024) predates Draft 2020-12 support and
waits on volunteers; Hypothesis itself is well kept and does the hard parts
(strings matching a ``pattern``, bounded numbers, deduplication). The subset
tools use is covered: ``type`` (one or a list), ``enum``, ``const``, object
``properties``/``required``, array ``items`` and sizes, string lengths,
``pattern`` and the ``date``/``date-time`` formats, number bounds, ``anyOf``/
``oneOf``, and local ``$ref``. Every value drawn is checked against the whole
schema, so a keyword left untranslated only costs draws, never a wrong sample.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from button.data_model.json_types import JsonSchema
from button.validation.schemas import first_error

SearchStrategy = st.SearchStrategy[Any]
ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789"
MAX_TEXT = 12
MAX_ITEMS = 3
BOUND = 1000


def samples(schema: JsonSchema, count: int) -> list[Any]:
    """Up to ``count`` distinct values valid against ``schema`` (fewer when hard to find)."""
    strategy = strategy_for(schema, schema).filter(lambda value: first_error(schema, value) is None)
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        if value not in found:
            found.append(value)

    with suppress(HypothesisException):  # nothing valid could be drawn: no samples
        collect()
    return found[:count]


def strategy_for(schema: Any, root: JsonSchema) -> SearchStrategy:
    """A strategy for ``schema`` (``root`` resolves local ``$ref``)."""
    if not isinstance(schema, dict):
        return st.none() if schema is False else _any_json()
    if "$ref" in schema:
        return strategy_for(_resolve(schema["$ref"], root), root)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([strategy_for(option, root) for option in schema[key]])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([strategy_for({**schema, "type": kind}, root) for kind in kinds])
    if kinds is None:
        kinds = "object" if "properties" in schema else "array" if "items" in schema else None
    builder = BUILDERS.get(kinds) if isinstance(kinds, str) else None
    return builder(schema, root) if builder else _any_json()


def _object(schema: JsonSchema, root: JsonSchema) -> SearchStrategy:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    return st.fixed_dictionaries(
        {name: strategy_for(sub, root) for name, sub in properties.items() if name in required},
        optional={name: strategy_for(sub, root) for name, sub in properties.items() if name not in required},
    )


def _array(schema: JsonSchema, root: JsonSchema) -> SearchStrategy:
    least = schema.get("minItems", 0)
    return st.lists(
        strategy_for(schema.get("items", {}), root),
        min_size=least,
        max_size=max(least, min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS)),
    )


def _string(schema: JsonSchema, root: JsonSchema) -> SearchStrategy:
    if "pattern" in schema:
        # the whole string matching (so no "\n" after a "$"), in printable ASCII
        printable = st.characters(min_codepoint=32, max_codepoint=126)
        return st.from_regex(schema["pattern"], fullmatch=True, alphabet=printable)
    if schema.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.just(None)).map(lambda moment: moment.isoformat() + "Z")
    least = schema.get("minLength", 1)
    return st.text(
        ALPHABET, min_size=least, max_size=max(least, min(schema.get("maxLength", MAX_TEXT), MAX_TEXT))
    )


def _number(schema: JsonSchema, root: JsonSchema) -> SearchStrategy:
    low = schema["minimum"] if "minimum" in schema else schema.get("exclusiveMinimum", -BOUND)
    high = schema["maximum"] if "maximum" in schema else schema.get("exclusiveMaximum", BOUND)
    if schema.get("type") == "integer":
        return st.integers(
            int(low) + ("exclusiveMinimum" in schema), int(high) - ("exclusiveMaximum" in schema)
        )
    return st.floats(
        low,
        high,
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
        allow_nan=False,
        allow_infinity=False,
    ).map(lambda value: round(value, 2))


BUILDERS: dict[str, Callable[[JsonSchema, JsonSchema], SearchStrategy]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": lambda schema, root: st.booleans(),
    "null": lambda schema, root: st.none(),
}


def _any_json() -> SearchStrategy:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-BOUND, BOUND), st.text(ALPHABET, max_size=MAX_TEXT)
    )


def _resolve(reference: str, root: JsonSchema) -> Any:
    """A local ``#/...`` reference inside ``root`` (anything else: any JSON value)."""
    if not reference.startswith("#"):
        return {}
    found: Any = root
    for part in reference.lstrip("#/").split("/") if reference not in ("#", "#/") else []:
        if not isinstance(found, dict) or part not in found:
            return {}
        found = found[part]
    return found
