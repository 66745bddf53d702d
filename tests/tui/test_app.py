"""Pilot tests: press keys and click, then read what the widgets show."""

from __future__ import annotations

import io

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import HelpPanel, Input, Static

from button.data_model.trajectory import Trajectory, TrajectoryStatus
from tui.app import ReplayApp, make_app
from tui.screens.list_screen import ListScreen
from tui.screens.replay_screen import ReplayScreen
from tui.widgets.conversation_view import MessageBlock
from tui.widgets.trajectory_table import TrajectoryTable

from .conftest import SAMPLE

SIZE = (140, 40)


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def tasks_listed(app: ReplayApp) -> list[str]:
    table = app.screen.query_one(TrajectoryTable)
    return [table.index.summary(row).task_id or f"line {table.index.summary(row).line}" for row in table.rows]


def plain(widget: Static) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, color_system=None, file=io.StringIO())
    console.print(widget.content, markup=False)
    return console.export_text()


def text(app: ReplayApp, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static))


async def test_filter_sort_and_search_the_list() -> None:
    app = make_app(SAMPLE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(tasks_listed(app)) == 6
        await pilot.press("f")  # status: completed
        await settle(pilot)
        assert tasks_listed(app) == [
            "weather.conditions_then_run_plan",
            "finance.two_share_prices_then_split",
            "travel.flight_then_hotel",
        ]
        await pilot.press("f", "f", "f")  # max_turns, error, corrupt
        await settle(pilot)
        assert tasks_listed(app) == ["line 4"]
        await pilot.press("f")  # all again
        await pilot.click(TrajectoryTable, offset=(10, 0))  # the task column's header
        await settle(pilot)
        assert tasks_listed(app)[1:] == sorted(tasks_listed(app)[1:]) and tasks_listed(app)[0] == "line 4"
        assert "sorted by task ▲" in text(app, "#list-status")
        await pilot.press("r")
        await settle(pilot)
        assert tasks_listed(app)[0] == "weather.conditions_then_run_plan"
        await pilot.press("slash", *"larimer", "enter")
        await settle(pilot)
        assert tasks_listed(app) == ["travel.flight_then_hotel"]
        assert "search 'larimer'" in text(app, "#list-status")
        await pilot.press("escape")
        await settle(pilot)
        assert len(tasks_listed(app)) == 6 and app.screen.query_one(Input).value == ""


async def test_step_through_a_conversation() -> None:
    app = make_app(SAMPLE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # finance
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        assert "finance.two_share_prices_then_split#0" in text(app, "#info")
        assert "step 11/11" in text(app, "#progress")
        await pilot.press("home")
        assert screen.shown == 1 and "step 1/11" in text(app, "#progress")
        await pilot.press("right", "right", "n", "left")
        assert screen.shown == 3
        await pilot.pause()
        blocks = [b for b in screen.query(MessageBlock) if b.display]
        assert [b.index for b in blocks] == [0, 1, 2]
        assert "waiting for the result" in plain(blocks[-1])
        await pilot.press("end")
        assert screen.shown == 11
        await pilot.press("plus", "plus", "plus")  # 8 steps/s
        await pilot.press("space")  # at the end: plays again from the start
        started = screen.shown
        assert screen.playing and started < 11
        await pilot.pause(0.4)
        await pilot.press("space")
        assert not screen.playing and started < screen.shown
        await pilot.press("home", "right")
        assert screen.shown == 2
        await pilot.click(MessageBlock)  # the first block: the replay moves back to it
        assert screen.shown == 1
        await pilot.press("escape")
        assert isinstance(app.screen, ListScreen)


async def test_plan_panel_marks_calls_as_the_replay_reaches_them() -> None:
    app = make_app(SAMPLE, task_id="weather.conditions_then_run_plan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        plan = text(app, "#plan")
        assert plan.count("✓") == 4 and "pairing from scores.jsonl" in plan
        await pilot.press("home", "right", "right")  # the parallel calls are shown, c4 is not yet made
        plan = text(app, "#plan")
        assert plan.count("✓") == 3 and "… c4 plan_outdoor_activity" in plan
        await pilot.press("escape")
        assert tasks_listed(app) == ["weather.conditions_then_run_plan"]


async def test_corrupt_rows_help_and_an_unknown_task() -> None:
    app = make_app(SAMPLE, task_id="no.such.task")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ListScreen)
        assert any("no trajectory of task 'no.such.task'" in str(n.message) for n in app._notifications)
        assert tasks_listed(app) == []
        app.screen.query_one(TrajectoryTable).set_rows([3], "line ▲")
        await pilot.press("enter")
        assert isinstance(app.screen, ListScreen)
        assert any("line 4: bad JSON" in str(n.message) for n in app._notifications)
        await pilot.press("question_mark")
        assert app.screen.query(HelpPanel)
        await pilot.press("question_mark")
        assert not app.screen.query(HelpPanel)


async def test_search_and_task_text_that_looks_like_markup_is_shown_as_text() -> None:
    app = make_app(SAMPLE, task_id="[/b]no.such.task")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("[/b]no.such.task" in str(n.message) for n in app._notifications)
        await pilot.press("slash", *"[/b]", "enter")
        await settle(pilot)
        assert tasks_listed(app) == []
        assert "search '[/b]'" in text(app, "#list-status")


async def test_the_status_filter_offers_every_status_a_trajectory_can_end_with() -> None:
    """The filter's statuses are ``TrajectoryStatus`` itself (and corrupt lines): each lists its rows."""
    counts: dict[str, int] = {}
    for line in (SAMPLE / "trajectories.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            status = Trajectory.model_validate_json(line).status.value
        except ValueError:
            status = "corrupt"
        counts[status] = counts.get(status, 0) + 1
    app = make_app(SAMPLE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown: dict[str, int] = {}
        for _ in range(len(TrajectoryStatus) + 1):
            await pilot.press("f")
            await settle(pilot)
            chosen = text(app, "#filter-label").removeprefix("status: ").split(" (f)")[0]
            shown[chosen] = len(tasks_listed(app))
    assert list(shown) == [*TrajectoryStatus, "corrupt"]
    assert shown == {status: counts.get(status, 0) for status in shown}
