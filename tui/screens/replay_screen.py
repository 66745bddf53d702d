"""One conversation, step by step, beside its task's plan and its score.

A step reveals one more message; a tool message fills in the result beneath
its call. The replay opens at the end (the whole conversation); home goes to
the start, and space plays it at the chosen speed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from button.data_model.task import Task
from button.data_model.trajectory import Score, Trajectory, TrajectoryStatus
from tui.plan_pairs import match_plan
from tui.render import View
from tui.render_plan import render_plan, render_score
from tui.shown_calls import shown_calls
from tui.widgets.conversation_view import ConversationView, MessageBlock

SPEEDS = [0.5, 1.0, 2.0, 4.0, 8.0]  # steps per second
BAR_WIDTH = 24


class ReplayScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,n", "step(1)", "Next"),
        Binding("left,p", "step(-1)", "Prev"),
        Binding("space", "toggle_play", "Play/pause"),
        Binding("plus,equals_sign", "speed(1)", "Faster"),
        Binding("minus", "speed(-1)", "Slower"),
        Binding("home,g", "jump(0)", "Start"),
        Binding("end,G", "jump(-1)", "End"),
        Binding("pageup", "scroll(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll(1)", "Scroll down", show=False),
        Binding("escape,backspace", "back", "Back"),
        Binding("question_mark", "app.toggle_help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

    shown: reactive[int] = reactive(0, init=False)
    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[int] = reactive(1, init=False)  # index into SPEEDS

    def __init__(
        self, trajectory: Trajectory, task: Task | None, score: Score | None, score_problem: str | None = None
    ) -> None:
        super().__init__()
        self.trajectory = trajectory
        self.task_ = task
        self.score = score
        self.score_problem = score_problem
        self.calls = shown_calls(trajectory)
        self.matching = match_plan(task, self.calls, score) if task is not None and task.plan else None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._info(), id="info")
        with Horizontal(id="body"):
            yield ConversationView(id="conversation")
            with VerticalScroll(id="side", can_focus=False):
                yield Static(id="plan")
                yield Static(render_score(self.score, self.score_problem), id="score")
        yield Static(id="progress")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#plan").border_title = "plan"
        self.query_one("#score").border_title = "score"
        self.set_reactive(ReplayScreen.shown, self.last)
        self._refresh_view()

    @property
    def last(self) -> int:
        return len(self.trajectory.messages)

    def watch_shown(self) -> None:
        self._refresh_view()

    def watch_playing(self) -> None:
        self._restart_timer()
        self._refresh_progress()

    def watch_speed(self) -> None:
        self._restart_timer()
        self._refresh_progress()

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.playing:
            self._timer = self.set_interval(1 / SPEEDS[self.speed], self._tick)

    def _tick(self) -> None:
        if self.shown >= self.last:
            self.playing = False
        else:
            self.shown += 1

    def _refresh_view(self) -> None:
        view = View(self.trajectory, self.shown, self.calls)
        self.query_one(ConversationView).show(view)
        self.query_one("#plan", Static).update(render_plan(self.task_, self.matching, self.shown))
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        done = round(BAR_WIDTH * self.shown / self.last) if self.last else BAR_WIDTH
        state = "▶ playing" if self.playing else "❚❚ paused"
        text = Text.assemble(
            (f" step {self.shown}/{self.last} ", "bold"),
            ("━" * done, "green"),
            ("─" * (BAR_WIDTH - done), "dim"),
            f"  {state} at {SPEEDS[self.speed]:g} steps/s",
        )
        self.query_one("#progress", Static).update(text)

    def _info(self) -> Text:
        trajectory = self.trajectory
        assistant = trajectory.endpoints.get("assistant")
        turns = sum(1 for message in trajectory.messages if message.get("role") == "assistant")
        tokens = sum(usage.total_tokens for usage in trajectory.usage.values())
        return Text.assemble(
            (trajectory.id, "bold"),
            f" · {assistant.model if assistant else 'unknown model'} · ",
            (trajectory.status.value, "bold red" if trajectory.status is TrajectoryStatus.ERROR else "bold"),
            f" · {turns} assistant turns · {len(self.calls)} tool calls · {tokens} tokens (all roles)"
            f" · {trajectory.duration_s:.1f} s · run {trajectory.run_id}",
        )

    def action_step(self, delta: int) -> None:
        self.playing = False
        self.shown = min(max(1 if self.last else 0, self.shown + delta), self.last)

    def action_jump(self, where: int) -> None:
        self.playing = False
        self.shown = self.last if where < 0 else min(1, self.last)

    def action_toggle_play(self) -> None:
        if not self.playing and self.shown >= self.last:
            self.shown = min(1, self.last)  # play again from the start
        self.playing = not self.playing

    def action_speed(self, delta: int) -> None:
        self.speed = min(max(0, self.speed + delta), len(SPEEDS) - 1)

    def action_scroll(self, direction: int) -> None:
        conversation = self.query_one(ConversationView)
        if direction < 0:
            conversation.scroll_page_up()
        else:
            conversation.scroll_page_down()

    def action_back(self) -> None:
        self.playing = False
        self.app.pop_screen()

    @on(MessageBlock.Clicked)
    def _clicked(self, event: MessageBlock.Clicked) -> None:
        self.playing = False
        self.shown = event.index + 1
