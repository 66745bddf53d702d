"""The record data model: trajectories (one conversation each) and their scores.

``messages`` stay in plain OpenAI chat format so they can be exported as they
are; what we know about each message (who produced it, when, how long it took,
the tokens it cost) sits in ``meta``, index-aligned with ``messages``.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from button.data_model.json_types import ChatMessage, ToolDefinition


class TrajectoryStatus(enum.StrEnum):
    """Every way a conversation ends."""

    COMPLETED = "completed"  # the user simulator ended it
    MAX_TURNS = "max_turns"  # the turn limit stopped it
    ERROR = "error"  # a model or tool server failed for good


class MessageSource(enum.StrEnum):
    """Who produced a message of a trajectory."""

    SYSTEM = "system"  # the run's system prompt
    USER_SIMULATOR = "user_simulator"
    USER = "user"  # a person's message, in a conversation brought in by ``button import``
    ASSISTANT = "assistant"  # the assistant under test
    TOOL_SERVER = "tool_server"  # a tool result (or the error answering a call)


class Usage(BaseModel):
    """Token usage; adds up. ``cached_tokens`` are the part of ``prompt_tokens`` the endpoint
    served from its prompt cache (OpenAI's ``prompt_tokens_details.cached_tokens``), when it says."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def of_response(cls, response: Any) -> Usage:
        """The usage of one OpenAI chat completion response (zeros when absent)."""
        usage = getattr(response, "usage", None)
        details = getattr(usage, "prompt_tokens_details", None)
        return cls(
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            cached_tokens=getattr(details, "cached_tokens", 0) or 0,
            requests=1,
        )

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.requests += other.requests


class EndpointInfo(BaseModel):
    """What a trajectory records of an endpoint: never its key."""

    model: str
    base_url: str


class MessageMeta(BaseModel):
    """Facts about one message of a trajectory."""

    source: MessageSource
    wall_time: float  # unix time the message was complete
    latency_s: float = 0.0  # time spent producing it
    usage: Usage | None = None  # tokens its model call cost
    error: str | None = None  # a tool error, an invalid call, a retried failure
    raw: str | None = None  # an assistant reply as the model wrote it, when a text protocol read it


class Trajectory(BaseModel):
    """One conversation of the assistant under test on one task."""

    model_config = ConfigDict(extra="forbid")

    id: str  # "<task_id>#<trial>"
    task_id: str
    trial: int = 0
    run_id: str
    endpoints: dict[str, EndpointInfo] = Field(default_factory=dict)
    tools: list[ToolDefinition] = Field(default_factory=list)  # as offered
    messages: list[ChatMessage] = Field(default_factory=list)
    meta: list[MessageMeta] = Field(default_factory=list)
    status: TrajectoryStatus
    error: str | None = None
    usage: dict[str, Usage] = Field(default_factory=dict)  # per role
    started_at: float
    ended_at: float

    @property
    def duration_s(self) -> float:
        return self.ended_at - self.started_at

    @staticmethod
    def make_id(task_id: str, trial: int) -> str:
        return f"{task_id}#{trial}"


class FailureReason(enum.StrEnum):
    """Why a scored trajectory did not succeed; a score lists every reason that applies."""

    NO_CALLS = "no_calls"  # the assistant called no function at all
    MISSING_CALL = "missing_call"  # a plan call has no matching actual call
    WRONG_ORDER = "wrong_order"  # a call came before the results it needs
    BROKEN_FLOW = "broken_flow"  # an argument did not carry the earlier result it needed
    UNVERIFIED_FLOW = "unverified_flow"  # a computed_from argument: plausible, not checkable
    INVENTED_TOOL = "invented_tool"  # a call of a tool that was not offered
    INVALID_ARGUMENTS = "invalid_arguments"  # arguments invalid against ``parameters``
    TOOL_ERROR = "tool_error"  # a plan call was answered only with an error
    UNGROUNDED = "ungrounded"  # the final answer does not state the results
    NO_FINAL_ANSWER = "no_final_answer"  # no assistant message answers the task
    JUDGE_FAILED = "judge_failed"  # the judge's verdict was negative
    ERROR = "error"  # the conversation ended in an error


class JudgeVerdict(BaseModel):
    success: bool
    reason: str
    model: str
    base_url: str = ""  # where the judge was reached, without credentials (prices it)
    usage: Usage = Field(default_factory=Usage)


def _empty(value: object) -> bool:
    return not value


def _none(value: object) -> bool:
    return value is None


class PlanPair(BaseModel):
    """A plan call and the actual call the scorer paired it with (``harness.score.matching``)."""

    plan: str  # the plan call's id
    call: str  # the tool call's id
    turn: int  # index of the assistant message that made the call
    matched: bool
    disagreeing: list[str] = Field(default_factory=list)  # planned arguments that did not agree
    unverified: list[str] = Field(default_factory=list, exclude_if=_empty)  # passed without a check


class InvalidCall(BaseModel):
    """A call whose arguments broke the offered tool's parameters, or of a tool not offered."""

    call: str
    name: str
    reason: str | None


class GroundingDetail(BaseModel):
    """Which values of the last plan group's results the answer stated."""

    answer: bool  # an answer message exists
    stated: list[JsonValue] = Field(default_factory=list)
    missing: list[JsonValue] = Field(default_factory=list)


class ScoreDetails(BaseModel):
    """What a score found, beside its numbers. The fields from ``pairs`` to ``grounding``
    need a plan and are left out of the record without one."""

    invalid_calls: list[InvalidCall] = Field(default_factory=list)
    pairs: list[PlanPair] | None = Field(default=None, exclude_if=_none)
    unpaired_plan_calls: list[str] | None = Field(default=None, exclude_if=_none)
    unpaired_calls: list[str] | None = Field(default=None, exclude_if=_none)
    order_violations: list[str] | None = Field(default=None, exclude_if=_none)  # plan call ids
    data_flow_errors: list[str] | None = Field(default=None, exclude_if=_none)  # "c2.city"
    unverified_flow: list[str] | None = Field(default=None, exclude_if=_none)
    groups_not_parallel: list[list[str]] | None = Field(default=None, exclude_if=_none)
    grounding: GroundingDetail | None = Field(default=None, exclude_if=_none)
    failures: list[str] = Field(default_factory=list)  # the fatal reasons, explained


class Score(BaseModel):
    """The judgement of one trajectory, keyed by task and trajectory id.

    ``metrics`` maps a metric name to a value in [0, 1] (or a count, for
    efficiency figures), or None when the metric does not apply (no plan, no
    parallel group).
    """

    task_id: str
    trajectory_id: str
    run_id: str
    metrics: dict[str, float | None] = Field(default_factory=dict)
    success: bool | None = None
    reasons: list[FailureReason] = Field(default_factory=list)  # why not a success (may be non-fatal)
    details: ScoreDetails = Field(default_factory=ScoreDetails)
    judge: JudgeVerdict | None = None
