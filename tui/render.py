"""Pure functions from a trajectory's messages to rich renderables, one per message kind.

``render_message`` picks the function for a message's role from ``RENDERERS``.
A tool message that answers a call is drawn beneath that call inside the
assistant's block (once the replay has reached it), so its own renderer only
draws answers to calls nobody made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from button.data_model.json_types import ChatMessage
from button.data_model.trajectory import MessageMeta, Trajectory, TrajectoryStatus
from tui.shown_calls import ShownCall, shown_calls

ROLE_STYLE = {"system": "bright_black", "user": "blue", "assistant": "green", "tool": "yellow"}
ERROR_STYLE = "bold red"


@dataclass(frozen=True)
class View:
    """A trajectory as far as the replay has got: messages ``0 .. shown-1``."""

    trajectory: Trajectory
    shown: int
    calls: list[ShownCall] = field(default_factory=list)

    @classmethod
    def of(cls, trajectory: Trajectory, shown: int) -> View:
        return cls(trajectory, shown, shown_calls(trajectory))

    @property
    def current(self) -> int:
        """The message the last step revealed (a tool answer counts as its call's)."""
        last = self.shown - 1
        for call in self.calls:
            if call.result_message == last:
                return call.message
        return last

    def meta(self, index: int) -> MessageMeta | None:
        meta = self.trajectory.meta
        return meta[index] if index < len(meta) else None


Renderer = Callable[[View, int], RenderableType | None]


def render_message(view: View, index: int) -> RenderableType | None:
    """The block of message ``index``, or None when it is drawn inside another block."""
    role = str(view.trajectory.messages[index].get("role", "?"))
    return RENDERERS.get(role, render_other)(view, index)


def render_system(view: View, index: int) -> RenderableType:
    return _block(view, index, "system", _content(view.trajectory.messages[index]))


def render_user(view: View, index: int) -> RenderableType:
    return _block(view, index, "user", _content(view.trajectory.messages[index]))


def render_assistant(view: View, index: int) -> RenderableType:
    message = view.trajectory.messages[index]
    parts: list[RenderableType] = []
    if message.get("content"):
        parts.append(_content(message))
    calls = [call for call in view.calls if call.message == index]
    parts += [render_call(view, call) for call in calls]
    if not parts:
        parts.append(Text("(empty message: no text, no tool calls)", style="italic"))
    title = "assistant" + (f" · {len(calls)} parallel calls" if len(calls) > 1 else "")
    return _block(view, index, title, Group(*parts))


def render_tool(view: View, index: int) -> RenderableType | None:
    call_id = view.trajectory.messages[index].get("tool_call_id")
    if any(call.id == call_id for call in view.calls):
        return None
    body = Group(
        Text(f"answers {call_id!r}, which no assistant message called", style=ERROR_STYLE),
        _content(view.trajectory.messages[index]),
    )
    return _block(view, index, "tool", body, error=True)


def render_other(view: View, index: int) -> RenderableType:
    message = view.trajectory.messages[index]
    return _block(view, index, str(message.get("role", "?")), pretty_json(message))


RENDERERS: dict[str, Renderer] = {
    "system": render_system,
    "user": render_user,
    "assistant": render_assistant,
    "tool": render_tool,
}


def render_call(view: View, call: ShownCall) -> RenderableType:
    """A call's name and arguments, with its result beneath once the replay reached it."""
    head = Text.assemble(("→ ", "bold"), (call.name, "bold cyan"), (f"  {call.id}", "dim"))
    parts: list[RenderableType] = [head]
    if call.arguments_error:
        parts += [Text(f"arguments {call.arguments_error}", style=ERROR_STYLE), Text(str(call.arguments))]
    else:
        parts.append(pretty_json(call.arguments))
    answered = call.result_message is not None and call.result_message < view.shown
    if call.result_message is None:
        parts.append(Text("← no result recorded", style=ERROR_STYLE))
    elif answered:
        label = Text.assemble(("← ", "bold"), ("error" if call.error else "result", _result_style(call)))
        label.append_text(_facts(view.meta(call.result_message)))
        parts.append(label)
        if call.error:
            parts.append(Text(call.error, style=ERROR_STYLE))
        if not call.error or call.result != call.error:
            parts.append(Text(call.result) if isinstance(call.result, str) else pretty_json(call.result))
    else:
        parts.append(Text("← waiting for the result", style="dim italic"))
    style = "red" if call.error or call.arguments_error else "cyan"
    return Panel(Group(*parts), box=box.SQUARE, border_style=style, padding=(0, 1))


def render_ending(trajectory: Trajectory) -> RenderableType:
    """How the conversation ended, shown after its last message."""
    if trajectory.status is TrajectoryStatus.COMPLETED:
        return Text(f"■ completed in {trajectory.duration_s:.1f} s", style="bold green")
    style = ERROR_STYLE if trajectory.status is TrajectoryStatus.ERROR else "bold yellow"
    text = Text(f"■ {trajectory.status.value} after {trajectory.duration_s:.1f} s", style=style)
    if trajectory.error:
        text.append(f": {trajectory.error}")
    return Panel(text, border_style=style, box=box.HEAVY)


def pretty_json(value: Any) -> RenderableType:
    return Syntax(
        json.dumps(value, indent=2, ensure_ascii=False),
        "json",
        theme="ansi_dark",
        background_color="default",
        word_wrap=True,
    )


def _block(view: View, index: int, title: str, body: RenderableType, error: bool = False) -> Panel:
    meta = view.meta(index)
    error = error or bool(meta and meta.error)
    role = str(view.trajectory.messages[index].get("role", "?"))
    style = "red" if error else ROLE_STYLE.get(role, "white")
    heading = Text.assemble((f"{index + 1}. ", "dim"), (title, f"bold {style}"))
    heading.append_text(_facts(meta))
    current = index == view.current
    return Panel(
        body,
        title=heading,
        title_align="left",
        border_style=f"bold {style}" if current else style,
        box=box.HEAVY if current else box.ROUNDED,
        padding=(0, 1),
    )


def _facts(meta: MessageMeta | None) -> Text:
    """' · 1.83 s · 611 in / 62 out tokens' for a message's latency and usage."""
    text = Text(style="dim")
    if meta is None:
        return text
    if meta.latency_s:
        text.append(f" · {meta.latency_s:.2f} s")
    if meta.usage and meta.usage.requests:
        text.append(f" · {meta.usage.prompt_tokens} in / {meta.usage.completion_tokens} out tokens")
    return text


def _content(message: ChatMessage) -> RenderableType:
    content = message.get("content")
    if content is None or content == "":
        return Text("(no text)", style="dim italic")
    return Text(content) if isinstance(content, str) else pretty_json(content)


def _result_style(call: ShownCall) -> str:
    return ERROR_STYLE if call.error else "bold yellow"
