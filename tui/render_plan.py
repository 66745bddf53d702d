"""Pure functions for the side panel: the task's plan against the actual calls, and the score."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from button.data_model.task import FromRef, Task, argument_source
from button.data_model.trajectory import Score
from tui.plan_pairs import PlanMatch, PlanMatching
from tui.render import pretty_json
from tui.shown_calls import ShownCall


def render_plan(task: Task | None, matching: PlanMatching | None, shown: int) -> RenderableType:
    """Plan groups, each call matched (✓), matched later in the replay (…) or missing (✗)."""
    if task is None:
        return Text("no plan: the task is not in the task file", style="dim italic")
    if matching is None or not task.plan:
        return Text("this task has no plan", style="dim italic")
    parts: list[RenderableType] = [Text(matching.source, style="dim")]
    for group in range(len(task.plan)):
        matches = [m for m in matching.matches if m.group == group]
        kind = " (parallel)" if len(matches) > 1 else ""
        parts.append(Text(f"group {group + 1}{kind}", style="bold underline"))
        parts += [_plan_call(match, shown) for match in matches]
    if matching.unplanned:
        parts.append(Text("calls not in the plan", style="bold underline"))
        parts += [_unplanned(call, shown) for call in matching.unplanned]
    return Group(*parts)


def render_score(score: Score | None, problem: str | None = None) -> RenderableType:
    if score is None:
        if problem is not None:
            return Text(f"unusable score: {problem}", style="red")
        return Text("not scored (no scores.jsonl entry)", style="dim italic")
    if score.success is None:
        parts: list[RenderableType] = [Text("success not decided", style="dim")]
    else:
        parts = [
            Text(
                "✓ success" if score.success else "✗ no success",
                style="bold green" if score.success else "bold red",
            )
        ]
    table = Table.grid(padding=(0, 2))
    for name, value in score.metrics.items():
        table.add_row(name, _number(value))
    parts.append(table)
    if score.judge is not None:
        judged = "✓" if score.judge.success else "✗"
        parts.append(Text.assemble(("judge ", "bold"), f"{judged} {score.judge.model}: ", score.judge.reason))
    shown = score.details.model_dump(mode="json", exclude={"pairs"})
    details = {key: value for key, value in shown.items() if value not in ([], {})}
    if details:
        parts += [Text("details", style="bold"), pretty_json(details)]
    return Group(*parts)


def _plan_call(match: PlanMatch, shown: int) -> RenderableType:
    actual = match.actual
    revealed = actual is not None and actual.message < shown
    if actual is None:
        mark, style, where = "✗", "bold red", "missing"
    elif not revealed:
        mark, style, where = "…", "dim", f"{actual.id} · msg {actual.message + 1}, later"
    elif match.disagreeing:
        mark, style = "≠", "bold yellow"
        where = f"{actual.id} · msg {actual.message + 1} · differs: {', '.join(match.disagreeing)}"
    else:
        mark, style, where = "✓", "bold green", f"{actual.id} · msg {actual.message + 1}"
    head = Text.assemble((f"{mark} ", style), (match.call.id, "bold"), " ", (match.call.name, "cyan"))
    head.append(f"  {where}", style="dim" if mark in "✓…" else style)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim")
    table.add_column()
    table.add_column()
    given = actual.arguments if revealed and actual is not None and isinstance(actual.arguments, dict) else {}
    for name, planned in match.call.arguments.items():
        value = _value(given[name]) if name in given else Text("")
        if name in match.disagreeing and revealed:
            value.stylize("yellow")
        table.add_row(f"  {name}", _planned_value(planned), value)
    return Group(head, table)


def _unplanned(call: ShownCall, shown: int) -> RenderableType:
    if call.message >= shown:
        return Text(f"… {call.id} {call.name}, later", style="dim")
    failed = call.error or (call.arguments_error and f"arguments {call.arguments_error}")
    text = Text.assemble(("• ", "bold"), (call.id, "bold"), " ", (call.name, "cyan"))
    if failed:
        text.append(f"  {failed}", style="red")
    return text


def _planned_value(value: Any) -> Text:
    source = argument_source(value)
    if source is None:
        return _value(value)
    if isinstance(source, FromRef):
        return Text("← " + source.text, style="magenta")
    return Text(source.describe(), style="magenta")


def _value(value: Any) -> Text:
    shown = json.dumps(value, ensure_ascii=False)
    return Text(shown if len(shown) <= 40 else shown[:37] + "...")


def _number(value: float | None) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    return Text(f"{value:g}" if float(value).is_integer() else f"{value:.3f}".rstrip("0"))
