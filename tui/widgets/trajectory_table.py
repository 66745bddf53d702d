"""The trajectory list: a line-API table that parses only the rows on screen.

Line 0 is the header (click a column to sort by it); each further line is one
row of ``rows``, an ordering of index rows chosen by the list screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from button.data_model.trajectory import TrajectoryStatus
from tui.index import CORRUPT, RowStatus, RowSummary, TrajectoryIndex

STATUS_STYLE: dict[RowStatus, str] = {
    TrajectoryStatus.COMPLETED: "green",
    TrajectoryStatus.MAX_TURNS: "yellow",
    TrajectoryStatus.ERROR: "bold red",
    CORRUPT: "bold red",
}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: takes the width that is left


COLUMNS = [
    Column("line", "line", 6),
    Column("task", "task", 0),
    Column("model", "model", 22),
    Column("status", "status", 10),
    Column("success", "success", 8),
    Column("turns", "turns", 6),
    Column("calls", "calls", 6),
]


def fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


class TrajectoryTable(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move_to(0)", "First", show=False),
        Binding("end", "move_to(-1)", "Last", show=False),
        Binding("enter", "open", "Open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"trajectory-table--header", "trajectory-table--cursor"}

    class Opened(Message):
        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    class SortClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(
        self, index: TrajectoryIndex, success: Callable[[RowSummary], str], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.index = index
        self.success = success  # the success cell of a row
        self.rows: list[int] = list(range(len(index)))
        self.cursor = 0
        self.sort_mark = ""  # e.g. "task ▲"

    def set_rows(self, rows: list[int], sort_mark: str) -> None:
        current = self.rows[self.cursor] if self.rows else None
        self.rows = rows
        self.sort_mark = sort_mark
        self.cursor = rows.index(current) if current in rows else 0
        self.virtual_size = Size(self.size.width, len(rows) + 1)
        self._follow()
        self.refresh()

    @property
    def selected(self) -> int | None:
        return self.rows[self.cursor] if self.rows else None

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._strip(self._header(), self.get_component_rich_style("trajectory-table--header"))
        position = y - 1 + self.scroll_offset.y
        if position >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        summary = self.index.summary(self.rows[position])
        base = self.get_component_rich_style("trajectory-table--cursor") if position == self.cursor else None
        return self._strip(self._cells(summary), base)

    def _strip(self, cells: list[tuple[str, str]], base: Style | None) -> Strip:
        segments = [Segment(text, Style.parse(style) if style else None) for text, style in cells]
        strip = Strip(segments)
        if base is not None:
            strip = strip.apply_style(base)
        return strip.crop_extend(0, self.size.width, base or self.rich_style)

    def _widths(self) -> list[int]:
        fixed = sum(column.width + 1 for column in COLUMNS)
        flexible = max(12, self.size.width - fixed - 1)
        return [column.width or flexible for column in COLUMNS]

    def _header(self) -> list[tuple[str, str]]:
        cells = []
        for column, width in zip(COLUMNS, self._widths(), strict=True):
            title = self.sort_mark if self.sort_mark.startswith(column.title + " ") else column.title
            cells.append((fit(title, width) + " ", ""))
        return cells

    def _cells(self, summary: RowSummary) -> list[tuple[str, str]]:
        widths = self._widths()
        status = (summary.status, STATUS_STYLE.get(summary.status, ""), widths[3])
        if summary.status == CORRUPT:
            problem = (f"not a trajectory: {summary.problem}", "red", widths[1] + 1 + widths[2])
            cells = [(str(summary.line), "dim", widths[0]), problem, status]
        else:
            success = self.success(summary)
            cells = [
                (str(summary.line), "dim", widths[0]),
                (summary.task_id, "bold", widths[1]),
                (summary.model, "", widths[2]),
                status,
                (success, "green" if success == "✓" else "red", widths[4]),
                (str(summary.turns), "", widths[5]),
                (str(summary.tool_calls), "", widths[6]),
            ]
        return [(fit(text, width) + " ", style) for text, style, width in cells]

    def _follow(self) -> None:
        visible = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def action_move(self, delta: int) -> None:
        self.action_move_to(min(max(0, self.cursor + delta), len(self.rows) - 1))

    def action_move_to(self, position: int) -> None:
        if not self.rows:
            return
        self.cursor = position % len(self.rows)
        self._follow()
        self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def action_open(self) -> None:
        if self.selected is not None:
            self.post_message(self.Opened(self.selected))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.SortClicked(column))
            return
        position = event.y - 1 + round(self.scroll_offset.y)
        if position < len(self.rows):
            self.action_move_to(position)
            if event.chain >= 2:
                self.action_open()

    def _column_at(self, x: int) -> str | None:
        left = 0
        for column, width in zip(COLUMNS, self._widths(), strict=True):
            if left <= x < left + width + 1:
                return column.key
            left += width + 1
        return None
