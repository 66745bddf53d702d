"""The conversation as far as the replay has got: one block per message.

A step re-renders only the blocks whose look changed (the new message, the
previous current one, and an assistant block whose call just got its result).
Clicking a block moves the replay to that message.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.render import View, render_ending, render_message


class MessageBlock(Static):
    class Clicked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, index: int, content: Any) -> None:
        super().__init__(content)
        self.index = index

    def on_click(self, event: events.Click) -> None:
        if self.index >= 0:
            self.post_message(self.Clicked(self.index))


class ConversationView(VerticalScroll, can_focus=False):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys: list[tuple[int, bool, int]] = []

    def show(self, view: View) -> None:
        """Show messages ``0 .. view.shown-1`` (and the ending once all are shown)."""
        messages = view.trajectory.messages
        current = view.current
        wanted: list[tuple[tuple[int, bool, int], int]] = []
        for index in range(view.shown):
            answered = sum(
                1
                for call in view.calls
                if call.message == index
                and call.result_message is not None
                and call.result_message < view.shown
            )
            wanted.append(((index, index == current, answered), index))
        if view.shown >= len(messages):
            wanted.append(((-1, False, 0), -1))
        blocks = list(self.query_children(MessageBlock))
        focus: MessageBlock | None = None
        for position, (key, index) in enumerate(wanted):
            if position < len(self._keys) and self._keys[position] == key:
                block = blocks[position]
            else:
                content = render_ending(view.trajectory) if index < 0 else render_message(view, index)
                if position < len(blocks):
                    block = blocks[position]
                    block.index = index
                    block.update("" if content is None else content)
                else:
                    block = MessageBlock(index, "" if content is None else content)
                    self.mount(block)
                block.display = content is not None
            if index == current:
                focus = block
        for block in blocks[len(wanted) :]:
            block.remove()
        self._keys = [key for key, _ in wanted]
        if view.shown >= len(messages):
            self.call_after_refresh(self.scroll_end, animate=False)
        elif focus is not None:
            self.call_after_refresh(self.scroll_to_widget, focus, animate=False)
