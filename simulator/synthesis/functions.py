"""Stage 6: one function per atomic task, generic, with JSON Schema parameters
and returns, where an earlier function's result feeds a later one's parameters.

The model fills a small form per subtask (name, description, parameters,
return fields); we build the JSON Schemas from it. A parameter's ``source`` is
an enum: ``task`` (its value is stated in the task) or a return field of a
subtask this one depends on (of the kind of value the parameter's name says,
``simulator.synthesis.value_kinds``), so data flow is data, not prose; or ``all.FIELD``
when two or more of those subtasks return FIELD (of one type): the parameter is
then an array of every such value, ``{"from_all": [...]}`` in the plan (the
total of three prices). A subtask with no dependents may say it needs no tool
(arithmetic, comparison).

A row's functions are written step by step, and a rule refuses one step at a
time; a later try of the row keeps the steps its earlier tries had accepted and
starts at the refused one (``SynthContext.kept_across_tries``). Rewritten from
its first step, a row's second step had to pass again with the first.
"""

from __future__ import annotations

import re
from typing import Any

from button.data_model.json_types import JsonSchema, ToolArguments
from button.validation.schemas import schema_problem
from button.validation.written_dates import form_in_text, iso_date, one_date, yearless_form
from button.validation.written_values import numbers_written, written_in_other_form
from simulator.synthesis.rows import (
    InstructedComposition,
    Subtask,
    SubtaskCall,
    SynthesizedFunction,
    WithFunctions,
)
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext, text_field
from simulator.synthesis.stated_values import names_left_out, numbers_left_out
from simulator.synthesis.text_rules import tokens
from simulator.synthesis.value_kinds import of_another_kind

TYPES = ["string", "number", "integer", "boolean"]
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{2,40}$"}
FIELD_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,30}$"}
# a parameter or result named after a step ("s1", "s1_weather", "date_s2") or the form's own
# field: the 1.5B model put the source in the name, which says nothing of what the field holds
STEP_NAMED = re.compile(r"(?:^|_)s\d+(?:_|$)|^needs_tool$")


def function_schema(sources: list[str], may_skip: bool) -> JsonSchema:
    parameter = {
        "type": "object",
        "properties": {
            "name": FIELD_NAME,
            "type": {"enum": TYPES},
            "description": text_field(3, 80),
            "source": {"enum": ["task", *sources]},
            "value": text_field(0, 60),
        },
        "required": ["name", "type", "description", "source", "value"],
    }
    field = {
        "type": "object",
        "properties": {"name": FIELD_NAME, "type": {"enum": TYPES}, "description": text_field(3, 80)},
        "required": ["name", "type", "description"],
    }
    properties: dict[str, JsonSchema] = {
        "name": NAME,
        "description": text_field(10, 150),
        "parameters": {"type": "array", "minItems": 1, "maxItems": 4, "items": parameter},
        "returns": {"type": "array", "minItems": 1, "maxItems": 4, "items": field},
    }
    if may_skip:  # asked last: asked first, a 1.5B model skipped steps that plainly need a service
        properties = {**properties, "needs_tool": {"type": "boolean"}}
    return {"type": "object", "properties": properties, "required": list(properties)}


def literal(kind: str, value: str, text: str) -> Any:
    """The typed value of a literal argument; ``Dropped`` unless ``text`` (the instruction and
    the scenario: what the user knows) states it, as written or in another form a function
    takes (``USD`` for "US dollars", an ISO date, 2 for "two"), or, for a list ("Paris, New
    York", "2026-05-20 2026-05-21"), each of its items. A date the task writes with no year is kept
    as the task writes it ("June 24th" for ``2026-06-24``): the user never gives the year."""
    said = value.strip()
    if kind == "boolean":
        if said.lower() in {"true", "yes"}:
            return True
        if said.lower() in {"false", "no"}:
            return False
        raise Dropped(DropReason.ARGUMENT_NOT_BOOLEAN, said)
    if kind in {"integer", "number"}:
        match = re.search(r"-?\d+(?:\.\d+)?", said.replace(",", ""))
        if match is None or abs(float(match.group(0))) not in numbers_written(text):
            raise Dropped(DropReason.ARGUMENT_NOT_IN_TASK, said)
        number = float(match.group(0))
        if kind == "integer":
            if not number.is_integer():
                raise Dropped(DropReason.ARGUMENT_NOT_INTEGER, said)
            return int(number)
        return number
    as_said = _as_said(said, text)
    if as_said is not None:
        return as_said
    items = [item.strip().strip("'\"") for item in _LIST_ITEMS.split(said) if item.strip()]
    if all(iso_date(token) for token in said.split()):
        items = said.split()  # "2026-05-20 2026-05-21": days the model wrote one after another
    forms = [form for form in (_as_said(item, text) for item in items) if form is not None]
    if len(items) < 2 or len(forms) < len(items):
        raise Dropped(DropReason.ARGUMENT_NOT_IN_TASK, said)
    return ", ".join(forms)  # as the user would say them, without the model's quotes


_LIST_ITEMS = re.compile(r",|;|\band\b")  # "Paris, New York": things the task names one by one


def _as_said(value: str, text: str) -> str | None:
    """``value`` when ``text`` states it; an ISO date with no year in the text, or a date in
    words, as the text writes it."""
    if _stated(value, text):
        return value
    day = iso_date(value)
    if day is not None:
        return yearless_form(day, text)
    in_words = one_date(value)
    return form_in_text(*in_words, text) if in_words is not None else None


def _stated(value: str, text: str) -> bool:
    return value.casefold() in text.casefold() or written_in_other_form(value, text, year_needed=True)


class FunctionBuilder:
    """Builds the functions of one composed task, subtask by subtask."""

    def __init__(self, item: InstructedComposition) -> None:
        self.item = item
        self.functions: list[SynthesizedFunction] = []
        self.returns: dict[str, dict[str, str]] = {}  # subtask id -> field name -> type
        self.calls: dict[str, SubtaskCall] = {}
        self.accepted: set[str] = set()  # subtask ids whose form was accepted (a call or none)
        self.no_tool: set[str] = set()  # of those, the ones that said they need no tool

    def sources(self, subtask: Subtask) -> list[str]:
        single = [f"{dep}.{name}" for dep in subtask["depends_on"] for name in self.returns.get(dep, {})]
        return single + [f"all.{name}" for name in self.shared_fields(subtask)]

    def shared_fields(self, subtask: Subtask) -> dict[str, list[str]]:
        """Field -> the dependencies returning it, for fields two or more return with one type."""
        found: dict[str, list[str]] = {}
        kinds: dict[str, set[str]] = {}
        for dep in subtask["depends_on"]:
            for name, kind in self.returns.get(dep, {}).items():
                found.setdefault(name, []).append(dep)
                kinds.setdefault(name, set()).add(kind)
        return {name: deps for name, deps in found.items() if len(deps) > 1 and len(kinds[name]) == 1}

    def describe_upstream(self, subtask: Subtask) -> str:
        lines = [
            f"{dep} returns: " + ", ".join(f"{name} ({kind})" for name, kind in self.returns[dep].items())
            for dep in subtask["depends_on"]
            if dep in self.returns
        ]
        return "\n".join(lines) or "(nothing: this task uses only what it states)"

    def add(self, subtask: Subtask, form: dict[str, Any]) -> None:
        """Accepts ``subtask``'s form, or raises ``Dropped`` and changes nothing."""
        sid = subtask["id"]
        if form.get("needs_tool") is False:
            self.accepted.add(sid)
            self.no_tool.add(sid)
            return
        text = f"{self.item['instruction']}\n{self.item['scenario']}"  # what the user simulator is told
        name = form["name"]
        for field_name in [p["name"] for p in form["parameters"]] + [f["name"] for f in form["returns"]]:
            if STEP_NAMED.search(field_name):
                raise Dropped(DropReason.NAMED_AFTER_STEP, f"{name}: {field_name!r}")
        properties: dict[str, JsonSchema] = {}
        required: list[str] = []
        arguments: ToolArguments = {}
        for param in form["parameters"]:
            pname = param["name"]
            if pname in properties:
                continue
            source = param["source"]
            if source == "task":
                kind = param["type"]
                if param["value"].strip():
                    arguments[pname] = literal(kind, param["value"], text)
                    required.append(pname)
            elif of_another_kind(pname, source.split(".", 1)[1]):
                raise Dropped(DropReason.FED_ANOTHER_KIND, f"{name}: {pname!r} is fed {source}")
            elif source.startswith("all."):
                field_name = source.removeprefix("all.")
                deps = self.shared_fields(subtask)[field_name]
                item_kind = self.returns[deps[0]][field_name]
                arguments[pname] = {"from_all": [f"{dep}.{field_name}" for dep in deps]}
                required.append(pname)
                properties[pname] = {
                    "type": "array",
                    "items": {"type": item_kind},
                    "description": param["description"].strip(),
                }
                continue
            else:
                dep, field_name = source.split(".", 1)
                kind = self.returns[dep][field_name]
                arguments[pname] = {"from": source}
                required.append(pname)
            properties[pname] = {"type": kind, "description": param["description"].strip()}
        if not arguments and not subtask["depends_on"]:
            empty = ", ".join(p["name"] for p in form["parameters"]) or "no parameter"
            raise Dropped(DropReason.NO_ARGUMENT, f"{name}: {empty} had no value")
        words = {word for value in arguments.values() if isinstance(value, str) for word in tokens(value)}
        described = form["description"]  # a word it uses in lower case is what the function is about
        generic_clash = [
            w
            for w in tokens(name.replace("_", " "))
            if len(w) >= 4 and w in words and not re.search(rf"\b{re.escape(w)}\b", described)
        ]
        if generic_clash:
            raise Dropped(DropReason.FUNCTION_NOT_GENERIC, f"{name} names the value {generic_clash[0]!r}")
        fed_by = {
            path.split(".")[0]
            for value in arguments.values()
            if isinstance(value, dict)
            for path in ([value["from"]] if "from" in value else value["from_all"])
        }
        missing = [dep for dep in subtask["depends_on"] if dep in self.calls and dep not in fed_by]
        if missing:
            offered = ", ".join(f"{dep}.{field}" for dep in missing for field in self.returns[dep])
            detail = f"{sid} uses no result of {', '.join(missing)} (its sources: {offered})"
            raise Dropped(DropReason.NO_DATA_FLOW, detail)
        left_out = numbers_left_out(subtask["instruction"], arguments)
        if left_out:  # the plan would expect a call that loses what the user said
            numbers = ", ".join(format(number, "f").rstrip("0").rstrip(".") for number in sorted(left_out))
            raise Dropped(DropReason.NUMBER_LEFT_OUT, f"{name} is not given {numbers}, which {sid} states")
        names = names_left_out(subtask["instruction"], arguments) if not subtask["depends_on"] else []
        if names:
            raise Dropped(DropReason.NAME_LEFT_OUT, f"{name} is not given {names[0]!r}, which {sid} states")
        fields = {f["name"]: f for f in form["returns"]}
        parameters = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        returns = {
            "type": "object",
            "properties": {
                n: {"type": f["type"], "description": f["description"].strip()} for n, f in fields.items()
            },
            "required": list(fields),
            "additionalProperties": False,
        }
        for part in (parameters, returns):
            problem = schema_problem(part)
            if problem:
                raise Dropped(DropReason.INVALID_SCHEMA, f"{name}: {problem}")
        spec: SynthesizedFunction = {
            "type": "function",
            "function": {
                "name": name,
                "description": form["description"].strip(),
                "parameters": parameters,
            },
            "returns": returns,
        }
        if not self._reuses(spec):
            self.functions.append(spec)
        self.returns[sid] = {n: f["type"] for n, f in fields.items()}
        self.calls[sid] = {"function": spec["function"]["name"], "arguments": arguments}
        self.accepted.add(sid)

    def _reuses(self, spec: SynthesizedFunction) -> bool:
        """True when an identical function exists (two subtasks, one function);
        a different function under a taken name is renamed ``name_2``, ..."""
        name = spec["function"]["name"]
        for other in self.functions:
            if other["function"]["name"] == name:
                if other == spec:
                    return True
                taken = {f["function"]["name"] for f in self.functions}
                number = 2
                while f"{name}_{number}" in taken:
                    number += 1
                spec["function"]["name"] = f"{name}_{number}"
                return False
        return False


async def synthesize_functions(ctx: SynthContext, key: str, item: InstructedComposition) -> WithFunctions:
    builder = ctx.kept_across_tries(key, lambda: FunctionBuilder(item))
    subtasks = item["subtasks"]
    needed = {dep for subtask in subtasks for dep in subtask["depends_on"]}
    for subtask in subtasks:  # composition lists subtasks after those they depend on
        if subtask["id"] in builder.accepted:
            continue
        sources = builder.sources(subtask)
        form = await ctx.ask(
            key,
            "function",
            function_schema(sources, may_skip=subtask["id"] not in needed),
            scenario=item["scenario"],
            instruction=item["instruction"],
            task=subtask["instruction"],
            upstream=builder.describe_upstream(subtask),
            sources=", ".join(["task", *sources]),
        )
        builder.add(subtask, form)
    if len(builder.calls) < 2:
        builder.accepted -= builder.no_tool  # the refused part: a next try asks those steps again
        builder.no_tool.clear()
        raise Dropped(DropReason.FEWER_THAN_TWO_CALLS, f"{len(builder.calls)} call(s)")
    return WithFunctions(**item, functions=builder.functions, calls=builder.calls)
