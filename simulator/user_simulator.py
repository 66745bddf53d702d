"""The user simulator: a model that plays the user of one task.

It sees the task (scenario and instruction) and the visible conversation
(its own messages and the assistant's text, never tool calls or results) and
answers with a structured turn ``{"message": str, "stop": bool}``. An empty
message is asked for again, and so is an opening that leaves out most of the
literal details the plan needs; if every try does, the opening is the task's
own instruction (noted in the message's metadata). A stop before the
assistant has said anything is refused (the message stands, the stop does
not), so a conversation never ends before the assistant was heard.
"""

from __future__ import annotations

import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from button.data_model.task import Task, argument_source
from button.data_model.trajectory import Usage
from button.errors import StructuredOutputError
from button.llm.client import ModelClient

PROMPT_PATH = Path(__file__).parent / "prompts" / "user_simulator.md"

TURN_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "minLength": 1},
        "stop": {"type": "boolean"},
    },
    "required": ["message", "stop"],
    "additionalProperties": False,
}

STOP_REFUSED = "stop refused: the assistant has not answered yet"


@dataclass(frozen=True)
class Line:
    """One visible line of the conversation, as the user sees it."""

    speaker: Literal["user", "assistant"]
    text: str


@dataclass
class UserTurn:
    """What the simulated user says next, and what it cost."""

    message: str
    stop: bool
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    note: str | None = None  # e.g. a refused stop or retried empty messages


class UserSimulator:
    """Plays the user of ``task`` with ``model``."""

    def __init__(self, model: ModelClient, task: Task, *, attempts: int = 3) -> None:
        self.model = model
        self.attempts = attempts
        self.instruction = task.instruction
        self.details = task_details(task)
        template = string.Template(PROMPT_PATH.read_text(encoding="utf-8"))
        self.system_prompt = template.safe_substitute(scenario=task.scenario, instruction=task.instruction)

    async def next_turn(self, transcript: Sequence[Line]) -> UserTurn:
        """The next user message; the opening one when ``transcript`` is empty."""
        started = time.monotonic()
        usage = Usage()
        messages = [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": _turn_request(transcript)},
        ]
        missing: list[str] = []
        for attempt in range(1, self.attempts + 1):
            try:
                value, cost = await self.model.complete_json(messages, TURN_SCHEMA, name="user_turn")
            except StructuredOutputError as error:
                usage.add(error.usage or Usage())
                error.usage = usage  # the whole turn's cost
                raise
            usage.add(cost)
            text = value["message"].strip()
            if not text:
                continue
            if not transcript:
                missing = [detail for detail in self.details if not _states(text, detail)]
                if len(missing) * 2 > len(self.details):
                    continue
            turn = UserTurn(text, bool(value["stop"]), usage, time.monotonic() - started)
            if attempt > 1:
                turn.note = f"{attempt - 1} empty or off-task message(s) asked for again"
            if turn.stop and not _assistant_answered(transcript):
                turn.stop, turn.note = False, STOP_REFUSED
            return turn
        if not transcript and missing:
            # The task must be stated for the conversation to be about it at all.
            return UserTurn(
                self.instruction,
                False,
                usage,
                time.monotonic() - started,
                note=f"opening is the task instruction: {self.attempts} model openings left out "
                + ", ".join(missing),
            )
        failure = StructuredOutputError(
            f"the user simulator gave an empty message {self.attempts} times",
            where=f"user model {self.model.model!r}",
        )
        failure.usage = usage
        raise failure


def task_details(task: Task) -> list[str]:
    """The literal values the plan's calls need (tickers, cities, dates, amounts).

    A first message that leaves out most of them has not stated the task.
    """
    details: list[str] = []
    for call in task.planned_calls():
        for value in call.arguments.values():
            if isinstance(value, bool) or argument_source(value) is not None:
                continue
            if isinstance(value, int | float) or (isinstance(value, str) and len(value) <= 40):
                text = f"{value:g}" if isinstance(value, float) else str(value)
                if text not in details:
                    details.append(text)
    return details


def _states(text: str, detail: str) -> bool:
    """Whether ``text`` states ``detail`` (case aside; "10,000" states 10000)."""
    text = text.casefold()
    return detail.casefold() in text or detail.casefold() in text.replace(",", "")


def _assistant_answered(transcript: Sequence[Line]) -> bool:
    return any(line.speaker == "assistant" and line.text.strip() for line in transcript)


def _turn_request(transcript: Sequence[Line]) -> str:
    if not transcript:
        return "The conversation has not started. Write your first message to the assistant."
    shown = "\n".join(
        f"{'YOU' if line.speaker == 'user' else 'ASSISTANT'}: {line.text or '(empty reply)'}"
        for line in transcript
    )
    # The question at the end: asked only in the system prompt, the 1.5B model wrote a closing
    # thank-you after the full answer and went on (stop false) in 2 of 3 samples; 0 of 3 with it.
    return (
        f"The conversation so far:\n{shown}\n\nWrite your next message to the assistant. If the "
        "assistant has given you the results of your whole task, thank it and set stop to true."
    )
