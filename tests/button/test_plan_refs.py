"""Plan argument forms: parsing, validation messages, the literal-object rule, expressions."""

from __future__ import annotations

from typing import Any

import pytest

from button.data_model.plan_expr import ExpressionError, evaluate, field_uses
from button.data_model.plan_refs import ChoiceFrom, Computed, FromAll, ReferenceFormError, parse_argument
from button.data_model.task import Task
from button.validation.task_rules import check_task

RESULT = {"type": "object", "properties": {"price": {"type": "number"}, "city": {"type": "string"}}}


def task(arguments: dict[str, Any], properties: dict[str, Any]) -> Task:
    function = {"type": "object", "properties": properties, "additionalProperties": False}
    return Task.model_validate(
        {
            "id": "t",
            "strategy": "parallel-then-sequential",
            "scenario": "s",
            "instruction": "i",
            "functions": [
                {
                    "type": "function",
                    "function": {"name": "look", "parameters": {"type": "object"}},
                    "returns": RESULT,
                },
                {"type": "function", "function": {"name": "use", "parameters": function}},
            ],
            "plan": [
                [{"id": "c1", "name": "look"}, {"id": "c2", "name": "look"}],
                [{"id": "c3", "name": "use", "arguments": arguments}],
            ],
        }
    )


def problems(arguments: dict[str, Any], properties: dict[str, Any]) -> list[tuple[str, str]]:
    return check_task(task(arguments, properties))


def test_each_form_parses() -> None:
    assert parse_argument({"from_all": ["c1.price", "c2.price"], "ordered": True}) == FromAll(
        sources=[parse_argument({"from": "c1.price"}), parse_argument({"from": "c2.price"})],  # type: ignore[list-item]
        ordered=True,
    )
    choice = parse_argument({"choice_from": ["c1.city", "c2.city"]})
    assert isinstance(choice, ChoiceFrom) and [ref.text for ref in choice.sources] == ["c1.city", "c2.city"]
    computed = parse_argument({"computed": "c1.city if c1.price <= c2.price else c2.city"})
    assert isinstance(computed, Computed) and computed.tolerance == 0.01
    assert [ref.text for ref in computed.sources] == ["c1.price", "c2.price", "c1.city", "c2.city"]
    assert parse_argument({"city": "Paris"}) is None  # an object with no reference key is a literal


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"from": "c1.price", "ordered": True}, "unknown key 'ordered' in a 'from' reference"),
        ({"from_all": "c1.price"}, "non-empty list"),
        ({"from_all": ["c1.price"], "ordered": "yes"}, "'ordered' must be true or false"),
        ({"computed": "c1.price * 2", "tolerance": -1}, "'tolerance' must be a number >= 0"),
        ({"computed": "2 + 2"}, "reads no earlier result"),
        ({"computed": "c1.price *"}, "does not parse"),
        ({"computed": "sorted(lambda: 1)"}, "calls only abs"),
        ({"computed": "[x for x in c1.price if (y := x)]"}, "NamedExpr is not allowed"),
        ({"computed": "c1.__class__"}, "starting with _"),
        ({"from": "c1.price", "choice_from": ["c1.price"]}, "a reference has one form"),
    ],
)
def test_malformed_forms_are_refused(value: dict[str, Any], message: str) -> None:
    with pytest.raises(ReferenceFormError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_argument(value)


def test_validation_checks_every_form_and_lists_the_forms_for_an_unknown_one() -> None:
    string = {"x": {"type": "string"}}
    assert problems({"x": {"choice_from": ["c1.city", "c2.city"]}}, string) == []
    assert problems({"x": {"computed": "c1.city if c1.price <= c2.price else c2.city"}}, string) == []
    ((where, message),) = problems({"x": {"one_of": ["c1.city", "c2.city"]}}, string)
    assert where == "plan[1][0].arguments.x"
    assert (
        "'one_of' is no known form" in message and '{"choice_from":' in message and '{"computed":' in message
    )
    ((_, message),) = problems({"x": {"computed": "c1.country"}}, string)
    assert "has no field 'country'" in message
    ((_, message),) = problems({"x": {"computed": "c3.city"}}, string)
    assert "refers to call 'c3', which is not in an earlier group" in message
    ((_, message),) = problems({"x": {"from_all": ["c1.price", "c2.price"]}}, string)
    assert "'from_all' gives an array, but the parameter is of type 'string'" in message


def test_an_object_literal_is_taken_as_it_is_where_the_parameter_takes_objects() -> None:
    address = {"x": {"type": "object", "properties": {"street": {"type": "string"}}}}
    assert problems({"x": {"street": "Main St"}}, address) == []
    ((_, message),) = problems({"x": {"street": 5}}, address)
    assert "5 is not of type 'string'" in message


def test_expressions_evaluate_on_results_never_through_eval() -> None:
    results = {
        "c1": {"price_usd": 129.95, "city": "Lyon", "items": [{"p": 1}, {"p": 2}]},
        "c2": {"price_usd": 219.85, "city": "Bordeaux"},
    }
    assert evaluate("c1.price_usd * 10 + c2.price_usd * 5", results) == pytest.approx(2398.75)
    assert evaluate("c1.city if c1.price_usd <= c2.price_usd else c2.city", results) == "Lyon"
    assert evaluate("len(c1.items) + sum(i.p for i in c1.items) + max(c1.items[0].p, 7)", results) == 12
    assert evaluate("round(c2.price_usd / 3, 1)", results) == 73.3
    for bad in ("c1.missing", "c1.price_usd / 0", "open('x')", "c1.items.keys()"):
        with pytest.raises(ExpressionError):
            evaluate(bad, results)
    assert [use.path for use in field_uses("c1.items[0].p + c2['price_usd']")] == [
        ("items", "0", "p"),
        ("price_usd",),
    ]
