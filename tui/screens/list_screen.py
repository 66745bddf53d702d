"""The first screen: every trajectory of the run, sortable, filterable and searchable.

Sorting, filtering and searching need more than the rows on screen, so they
run in a worker thread that parses the lines not yet parsed (once) and hands
the new ordering back to the table.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from button.data_model.trajectory import TrajectoryStatus
from tui.index import CORRUPT, CorruptLine, RowSummary
from tui.open_run import Run
from tui.screens.replay_screen import ReplayScreen
from tui.widgets.trajectory_table import COLUMNS, TrajectoryTable

STATUS_FILTERS: list[str] = ["all", *TrajectoryStatus, CORRUPT]


class ListScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("f", "cycle_filter", "Status filter"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("question_mark", "app.toggle_help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, run: Run, task_id: str | None = None) -> None:
        super().__init__()
        self.run_ = run
        self.task_id = task_id  # show only this task's trajectories, and open the first
        self.sort_key = "line"
        self.descending = False
        self.status_filter = "all"
        self.needle = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            yield Input(placeholder="search message text (press /)", id="search")
            yield Static(id="filter-label", markup=False)
        yield TrajectoryTable(self.run_.index, self.success_cell, id="table")
        yield Static(id="list-status", markup=False)
        if self.run_.notices:
            yield Static("\n".join(self.run_.notices), id="notices", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TrajectoryTable).focus()
        self.recompute()

    def success_cell(self, summary: RowSummary) -> str:
        score = self.run_.scores.get(summary.trajectory_id)
        if score is None or score.success is None:
            return ""
        return "✓" if score.success else "✗"

    def sort_value(self, row: int) -> Any:
        summary = self.run_.index.summary(row)
        values = {
            "task": summary.task_id,
            "model": summary.model,
            "status": summary.status,
            "success": self.success_cell(summary),
            "turns": summary.turns,
            "calls": summary.tool_calls,
        }
        return (values.get(self.sort_key, 0), row)

    @work(thread=True, exclusive=True, group="rows")
    def recompute(self) -> None:
        """Filter, search and sort the rows away from the UI thread."""
        worker = get_current_worker()
        index = self.run_.index
        needs_all = self.sort_key != "line" or self.status_filter != "all" or self.task_id is not None
        if needs_all and not index.all_summarized:
            index.summarize_all(lambda done: self.app.call_from_thread(self._progress, done))
        rows = list(range(len(index)))
        if self.status_filter != "all":
            rows = [row for row in rows if index.summary(row).status == self.status_filter]
        if self.task_id is not None:
            rows = [row for row in rows if index.summary(row).task_id == self.task_id]
        if self.needle:
            self.app.call_from_thread(self._progress, None)
            rows = index.search(self.needle, rows, lambda: worker.is_cancelled)
        if worker.is_cancelled:
            return
        rows.sort(key=self.sort_value if self.sort_key != "line" else None, reverse=self.descending)
        self.app.call_from_thread(self._show_rows, rows)

    def _progress(self, done: int | None) -> None:
        total = len(self.run_.index)
        text = f"searching {total} lines…" if done is None else f"reading {done} of {total} lines…"
        self.query_one("#list-status", Static).update(text)

    def _show_rows(self, rows: list[int]) -> None:
        arrow = "▼" if self.descending else "▲"
        self.query_one(TrajectoryTable).set_rows(rows, f"{self.sort_key} {arrow}")
        total = len(self.run_.index)
        parts = [f"{len(rows)} of {total} trajectories", f"sorted by {self.sort_key} {arrow}"]
        if self.task_id is not None:
            parts.append(f"task {self.task_id}")
        if self.needle:
            parts.append(f"search {self.needle!r}")
        self.query_one("#list-status", Static).update(" · ".join(parts))
        self.query_one("#filter-label", Static).update(f"status: {self.status_filter} (f)")
        if self.task_id is not None:
            task_id, self.task_id = self.task_id, None  # open once; afterwards the whole run is listed
            if rows:
                self.open_row(rows[0])
            else:
                self.notify(f"no trajectory of task {task_id!r} in this run", severity="error", markup=False)

    def open_row(self, row: int) -> None:
        parsed = self.run_.index.load(row)
        if isinstance(parsed, CorruptLine):
            self.notify(
                f"line {parsed.line}: {parsed.problem}",
                title="not a trajectory",
                severity="error",
                markup=False,
            )
            return
        scores = self.run_.scores
        score = scores.get(parsed.id)
        task = self.run_.tasks.get(parsed.task_id)
        self.app.push_screen(ReplayScreen(parsed, task, score, scores.problems.get(parsed.id)))

    @on(TrajectoryTable.Opened)
    def _opened(self, event: TrajectoryTable.Opened) -> None:
        self.open_row(event.row)

    @on(TrajectoryTable.SortClicked)
    def _sort_clicked(self, event: TrajectoryTable.SortClicked) -> None:
        self.descending = not self.descending if event.column == self.sort_key else False
        self.sort_key = event.column
        self.recompute()

    @on(Input.Submitted, "#search")
    def _searched(self, event: Input.Submitted) -> None:
        self.needle = event.value.strip()
        self.query_one(TrajectoryTable).focus()
        self.recompute()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one(TrajectoryTable).focus()
        if self.needle:
            self.needle = ""
            self.recompute()

    def action_cycle_filter(self) -> None:
        position = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(position + 1) % len(STATUS_FILTERS)]
        self.recompute()

    def action_cycle_sort(self) -> None:
        keys = [column.key for column in COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.descending = False
        self.recompute()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.recompute()
