"""Helpers that turn a compact conversation into a Trajectory, and the case registry.

A conversation is a list of steps: ``user(text)``, ``say(text)`` (an
assistant message), and ``calls(...)`` (one assistant message with tool calls,
followed by the tool's answers). A call's answer is a JSON value, ``Text``
(a plain-text answer) or ``Err`` (an error the tool server recorded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from button.data_model.trajectory import (
    EndpointInfo,
    MessageMeta,
    MessageSource,
    Trajectory,
    TrajectoryStatus,
)

RUN_ID = "scoring-cases"
SYSTEM = "You are a helpful assistant. Use the tools to do what the user asks."


@dataclass(frozen=True)
class Text:
    """A plain-text (not JSON) tool answer."""

    text: str


@dataclass(frozen=True)
class Err:
    """A tool answer recorded as an error."""

    text: str


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any] | str
    answer: Any


@dataclass(frozen=True)
class Step:
    role: str  # "user", "assistant" or "calls"
    text: str = ""
    calls: tuple[Call, ...] = ()


def user(text: str) -> Step:
    return Step("user", text)


def say(text: str) -> Step:
    return Step("assistant", text)


def calls(*items: Call) -> Step:
    return Step("calls", calls=items)


def c(name: str, arguments: dict[str, Any] | str, answer: Any) -> Call:
    return Call(name, arguments, answer)


@dataclass(frozen=True)
class Case:
    """One trajectory and its expected verdict (by hand)."""

    task_id: str
    name: str
    steps: list[Step]
    success: bool  # the verdict a careful person gives
    reasons: list[str]  # the reasons the scorer must give, in FailureReason order
    why: str
    deterministic: bool | None = None  # the deterministic floor's verdict when it differs (judge needed)
    status: str = "completed"

    @property
    def id(self) -> str:
        return f"{self.task_id}#{self.name}"


@dataclass
class Registry:
    cases: list[Case] = field(default_factory=list)

    def add(self, case: Case) -> None:
        if any(other.id == case.id for other in self.cases):
            raise ValueError(f"duplicate case {case.id}")
        self.cases.append(case)


def trajectory(case: Case, tools: list[dict[str, Any]]) -> Trajectory:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    meta = [MessageMeta(source=MessageSource.SYSTEM, wall_time=0.0)]
    number = 0
    for step in case.steps:
        if step.role == "user":
            messages.append({"role": "user", "content": step.text})
            meta.append(MessageMeta(source=MessageSource.USER_SIMULATOR, wall_time=0.0))
        elif step.role == "assistant":
            messages.append({"role": "assistant", "content": step.text})
            meta.append(MessageMeta(source=MessageSource.ASSISTANT, wall_time=0.0))
        else:
            tool_calls, answers = [], []
            for item in step.calls:
                number += 1
                call_id = f"call_{number}"
                raw = item.arguments if isinstance(item.arguments, str) else json.dumps(item.arguments)
                tool_calls.append(
                    {"id": call_id, "type": "function", "function": {"name": item.name, "arguments": raw}}
                )
                answers.append((call_id, item.answer))
            messages.append({"role": "assistant", "content": step.text or None, "tool_calls": tool_calls})
            meta.append(MessageMeta(source=MessageSource.ASSISTANT, wall_time=0.0))
            for call_id, answer in answers:
                if isinstance(answer, Err):
                    content, error = answer.text, answer.text
                elif isinstance(answer, Text):
                    content, error = answer.text, None
                else:
                    content, error = json.dumps(answer), None
                messages.append({"role": "tool", "tool_call_id": call_id, "content": content})
                meta.append(MessageMeta(source=MessageSource.TOOL_SERVER, wall_time=0.0, error=error))
    for position, entry in enumerate(meta):
        entry.wall_time = 1_790_000_000.0 + position
    return Trajectory(
        id=case.id,
        task_id=case.task_id,
        run_id=RUN_ID,
        endpoints={"assistant": EndpointInfo(model="hand-written", base_url="file://fixtures/scoring/cases")},
        tools=tools,
        messages=messages,
        meta=meta,
        status=TrajectoryStatus(case.status),
        started_at=1_790_000_000.0,
        ended_at=1_790_000_000.0 + len(messages),
    )


def expected_record(case: Case) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": case.id,
        "success": case.success,
        "reasons": case.reasons,
        "why": case.why,
    }
    if case.deterministic is not None:
        record["deterministic_success"] = case.deterministic
    return record
