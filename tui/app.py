"""The replay app and the factory that the CLI and the tests both use."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.widgets import HelpPanel

from tui.open_run import Run, open_run
from tui.screens.list_screen import ListScreen


class ReplayApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "button replay"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+c", "quit", "Quit", show=False)]

    def __init__(self, run: Run, task_id: str | None = None) -> None:
        super().__init__()
        self.run_ = run
        self.task_id = task_id
        self.sub_title = run.title

    def on_mount(self) -> None:
        self.push_screen(ListScreen(self.run_, self.task_id))

    def on_unmount(self) -> None:
        self.run_.close()

    def action_toggle_help(self) -> None:
        """``?``: show or hide the panel of keys (and the focused widget's help)."""
        panels = self.screen.query(HelpPanel)
        if panels:
            panels.remove()
        else:
            self.screen.mount(HelpPanel())


def make_app(path: str | Path, task_id: str | None = None, tasks_file: str | Path | None = None) -> ReplayApp:
    """Open a run directory or trajectories file (raises RunFileError) and build the app."""
    return ReplayApp(open_run(path, tasks_file), task_id)
