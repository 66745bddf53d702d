"""The tool calls of a trajectory as the replay shows them.

The calls themselves are the scorer's (``harness.score.calls``), so the plan
panel and the scores talk about the same calls; this adds what a display
needs: which message answered each call, and its text and error even when
the answer is not JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from button.data_model.trajectory import Trajectory
from harness.score.calls import ActualCall, actual_calls, message_text, parse_json_text


@dataclass(frozen=True)
class ShownCall:
    call: ActualCall
    result_message: int | None  # index of the tool message that answered it
    result: Any  # the answer, decoded when it is JSON
    error: str | None  # the error recorded for the answer

    @property
    def id(self) -> str:
        return self.call.call_id

    @property
    def name(self) -> str:
        return self.call.name

    @property
    def message(self) -> int:
        """Index of the assistant message that made the call."""
        return self.call.turn

    @property
    def arguments(self) -> Any:
        return self.call.raw_arguments if self.call.arguments is None else self.call.arguments

    @property
    def arguments_error(self) -> str | None:
        return "are not a JSON object" if self.call.arguments is None else None


def shown_calls(trajectory: Trajectory) -> list[ShownCall]:
    answers: dict[str, int] = {}
    for index, message in enumerate(trajectory.messages):
        if message.get("role") == "tool" and isinstance(message.get("tool_call_id"), str):
            answers.setdefault(message["tool_call_id"], index)
    shown: list[ShownCall] = []
    for call in actual_calls(trajectory):
        answer = answers.get(call.call_id)
        result: Any = None
        error = None
        if answer is not None:
            text = message_text(trajectory.messages[answer].get("content"))
            decoded = parse_json_text(text)
            result = text if decoded is None else decoded
            error = trajectory.meta[answer].error if answer < len(trajectory.meta) else None
        shown.append(ShownCall(call, answer, result, error))
    return shown
