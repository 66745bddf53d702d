"""Rules a task must keep beyond its shape; each problem names its field path.

``check_task`` returns every problem found as ``(field_path, message)`` pairs,
so a validator can report all of them and a loader can raise on the first.
"""

from __future__ import annotations

from typing import Any

from button.data_model.json_types import JsonSchema, ToolArguments
from button.data_model.plan_refs import FromAll, FromRef, ReferenceFormError, known_forms, parse_argument
from button.data_model.task import PlannedCall, Task
from button.validation.schemas import all_errors, schema_problem

Problem = tuple[str, str]


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """("functions", 0, "function", "name") -> "functions[0].function.name"."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def check_task(task: Task) -> list[Problem]:
    return [*_check_functions(task), *_check_subtasks(task), *_check_plan(task)]


def _check_functions(task: Task) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, spec in enumerate(task.functions):
        base = f"functions[{index}]"
        if spec.name in seen:
            problems.append((f"{base}.function.name", f"duplicate function name {spec.name!r}"))
        seen.add(spec.name)
        params = spec.function.parameters
        why = schema_problem(params)
        if why:
            problems.append((f"{base}.function.parameters", why))
        elif params.get("type") != "object":
            problems.append(
                (f"{base}.function.parameters.type", f"must be 'object', got {params.get('type')!r}")
            )
        if spec.returns is not None:
            why = schema_problem(spec.returns)
            if why:
                problems.append((f"{base}.returns", why))
    return problems


def _check_subtasks(task: Task) -> list[Problem]:
    problems: list[Problem] = []
    ids = [subtask.id for subtask in task.subtasks]
    for index, subtask in enumerate(task.subtasks):
        base = f"subtasks[{index}]"
        if ids.count(subtask.id) > 1 and ids.index(subtask.id) != index:
            problems.append((f"{base}.id", f"duplicate subtask id {subtask.id!r}"))
        for dep_index, dep in enumerate(subtask.depends_on):
            if dep not in ids:
                problems.append((f"{base}.depends_on[{dep_index}]", f"no subtask has id {dep!r}"))
        if subtask.function is not None and task.function(subtask.function) is None:
            problems.append((f"{base}.function", f"no function of this task is named {subtask.function!r}"))
    cycle = _find_cycle({s.id: [d for d in s.depends_on if d in ids] for s in task.subtasks})
    if cycle:
        index = ids.index(cycle[0])
        problems.append((f"subtasks[{index}].depends_on", "dependency cycle: " + " -> ".join(cycle)))
    return problems


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if state.get(nxt) is None:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in graph:
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def _check_plan(task: Task) -> list[Problem]:
    problems: list[Problem] = []
    earlier: dict[str, str] = {}  # call id -> function name, for calls in earlier groups
    seen_ids: set[str] = set()
    for g_index, group in enumerate(task.plan or []):
        in_group: dict[str, str] = {}
        for c_index, call in enumerate(group):
            base = f"plan[{g_index}][{c_index}]"
            if call.id in seen_ids:
                problems.append((f"{base}.id", f"duplicate call id {call.id!r}"))
            seen_ids.add(call.id)
            in_group[call.id] = call.name
            why = _link_problem(task, call)
            if why:
                problems.append((f"{base}.subtask", why))
            spec = task.function(call.name)
            if spec is None:
                problems.append((f"{base}.name", f"no function of this task is named {call.name!r}"))
                continue
            problems += _check_arguments(task, base, call.arguments, spec.function.parameters, earlier)
        earlier.update(in_group)
    return problems


def _link_problem(task: Task, call: PlannedCall) -> str | None:
    """Why a call's ``subtask`` link is wrong: an unknown subtask, or one made for another function."""
    if call.subtask is None:
        return None
    subtask = task.subtask(call.subtask)
    if subtask is None:
        return f"no subtask has id {call.subtask!r}"
    if subtask.function is not None and subtask.function != call.name:
        return f"subtask {call.subtask!r} is solved by {subtask.function!r}, not {call.name!r}"
    return None


def _check_arguments(
    task: Task,
    base: str,
    arguments: ToolArguments,
    parameters: JsonSchema,
    earlier: dict[str, str],
) -> list[Problem]:
    """References must be well-formed and point at earlier declared fields; literals must
    validate against ``parameters``. An object with no reference key is a literal, so an
    object-typed parameter takes one as it is; where the schema refuses it, the error
    names the reference forms (it was most likely meant as one)."""
    problems: list[Problem] = []
    literal: ToolArguments = {}
    properties = parameters.get("properties") if isinstance(parameters.get("properties"), dict) else {}
    for key, value in arguments.items():
        where = f"{base}.arguments.{key}"
        try:
            source = parse_argument(value)
        except ReferenceFormError as error:
            problems.append((where, f"{error}; the forms are: {known_forms()}"))
            continue
        if source is None:
            literal[key] = value
            continue
        for ref in source.sources:
            why = _reference_problem(task, ref, earlier)
            if why:
                problems.append((where, why))
        declared = properties.get(key, {}) if isinstance(properties, dict) else {}
        if isinstance(source, FromAll) and not _may_be_array(declared):
            kind = declared["type"]
            problems.append((where, f"'from_all' gives an array, but the parameter is of type {kind!r}"))
    if schema_problem(parameters) is None:
        # References stand for values we only know at run time: check the
        # literals, and let referenced keys count as present.
        schema = dict(parameters)
        schema["required"] = [k for k in parameters.get("required", []) if k not in arguments]
        unknown_objects: set[str] = set()
        for path, message in all_errors(schema, literal):
            key = str(path[0]) if path else ""
            if key in literal and isinstance(literal[key], dict):
                if key not in unknown_objects:
                    unknown_objects.add(key)
                    problems.append(
                        (
                            f"{base}.arguments.{key}",
                            f"{message}; nor is it a reference: "
                            f"{', '.join(map(repr, literal[key]))} is no known form ({known_forms()})",
                        )
                    )
                continue
            problems.append((json_path([f"{base}.arguments", *path]), message))
    return problems


def _may_be_array(schema: Any) -> bool:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind is None or kind == "array" or (isinstance(kind, list) and "array" in kind)


def _reference_problem(task: Task, ref: FromRef, earlier: dict[str, str]) -> str | None:
    text = ".".join([ref.call_id, *ref.path])
    if ref.call_id not in earlier:
        known = {call.id for call in task.planned_calls()}
        if ref.call_id in known:
            return f"{text!r} refers to call {ref.call_id!r}, which is not in an earlier group"
        return f"{text!r} refers to no call of the plan"
    spec = task.function(earlier[ref.call_id])
    if spec is not None and spec.returns is not None and not _schema_has_path(spec.returns, ref.path):
        return f"{text!r}: the result of {spec.name!r} has no field {'.'.join(ref.path)!r}"
    return None


def _schema_has_path(schema: JsonSchema, path: list[str]) -> bool:
    """Whether a field path can exist in values of ``schema`` (free-form levels pass)."""
    for part in path:
        if "properties" in schema:
            if part not in schema["properties"]:
                # Declared fields only, unless the schema opens extra ones explicitly.
                return isinstance(schema.get("additionalProperties"), dict)
            schema = schema["properties"][part]
        elif "items" in schema and part.isdigit():
            schema = schema["items"] if isinstance(schema["items"], dict) else {}
        else:
            return True
    return True
