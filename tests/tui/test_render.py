"""The pure render functions, read back as plain text."""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType

from button.data_model.trajectory import MessageMeta, MessageSource, Trajectory
from tui.open_run import open_run
from tui.render import View, render_ending, render_message
from tui.render_plan import render_score

from .conftest import SAMPLE


def text_of(renderable: RenderableType | None) -> str:
    assert renderable is not None
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def trajectory(row: int) -> Trajectory:
    parsed = open_run(SAMPLE).index.load(row)
    assert isinstance(parsed, Trajectory)
    return parsed


def test_each_role_is_drawn_as_its_kind_and_an_unknown_role_as_json() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Rent of flat 12?"},
        {"role": "assistant", "content": "", "tool_calls": []},
        {"role": "tool", "tool_call_id": "call_9", "content": "stray"},
        {"role": "developer", "content": "note"},
    ]
    meta = [MessageMeta(source=MessageSource.SYSTEM, wall_time=0.0) for _ in messages]
    weird = trajectory(0).model_copy(update={"messages": messages, "meta": meta})
    drawn = [text_of(render_message(View.of(weird, len(messages)), i)) for i in range(len(messages))]
    assert "1. system" in drawn[0] and "Be brief." in drawn[0] and '"content"' not in drawn[0]
    assert "2. user" in drawn[1] and "Rent of flat 12?" in drawn[1] and '"content"' not in drawn[1]
    assert "3. assistant" in drawn[2] and "(empty message: no text, no tool calls)" in drawn[2]
    assert "answers 'call_9', which no assistant message called" in drawn[3] and "stray" in drawn[3]
    assert "5. developer" in drawn[4] and '"role": "developer"' in drawn[4]  # shown whole, as JSON


def test_a_call_shows_pretty_arguments_and_its_result_only_once_reached() -> None:
    finance = trajectory(1)
    before = text_of(render_message(View.of(finance, 6), 5))  # the bad call, not yet answered
    assert "→ calculate_equal_split  call_f3" in before
    assert '"budget_usd": "$10,000",' in before
    assert "waiting for the result" in before
    after = text_of(render_message(View.of(finance, 7), 5))
    assert "← error" in after and "budget_usd: '$10,000' is not of type 'number'" in after
    assert "0.01 s" in after
    assert render_message(View.of(finance, 7), 6) is None  # the tool message is drawn under its call


def test_parallel_calls_tokens_latency_and_unparseable_arguments() -> None:
    weather = text_of(render_message(View.of(trajectory(0), 10), 2))
    assert "3 parallel calls" in weather and "2.07 s · 689 in / 96 out tokens" in weather
    assert weather.count("← result") == 3
    education = text_of(render_message(View.of(trajectory(2), 5), 3))
    assert "arguments are not a JSON object" in education


def test_endings_and_scores() -> None:
    error = text_of(render_ending(trajectory(4)))
    assert "error after" in error and "503 Service Unavailable" in error
    assert "max_turns" in text_of(render_ending(trajectory(2)))
    run = open_run(SAMPLE)
    travel = text_of(render_score(run.scores.get("travel.flight_then_hotel#0")))
    assert (
        "✓ success" in travel
        and "grounding        0.75" in travel
        and "judge ✓ Qwen2.5-7B-Instruct" in travel
    )
    assert "not scored" in text_of(render_score(None))
    assert "x.jsonl:3: metrics" in text_of(render_score(None, "x.jsonl:3: metrics: bad"))
