"""One conversation: the simulated user, the assistant under test, and its tools.

The user simulator opens with the task. Each assistant message is one turn:
its tool calls (all of them at once) go to the MCP server and their results
come back in call order, then the assistant speaks again; a message without
tool calls (text, or nothing at all) hands the word to the user, who answers
or stops. ``max_turns`` assistant messages without a stop end the
conversation with status ``max_turns``; a model or tool server that fails for
good ends it with status ``error``. Whatever happens, the trajectory so far is
returned, with per-message metadata and token usage per role. How the
assistant is asked and how its reply is read (OpenAI tool calls, or BUTTON's
text format) is its protocol's job (``harness.run.assistant_protocol``); the
trajectory is in OpenAI form either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from button.data_model.json_types import ChatMessage
from button.data_model.task import Task
from button.data_model.trajectory import (
    EndpointInfo,
    MessageMeta,
    MessageSource,
    Trajectory,
    TrajectoryStatus,
    Usage,
)
from button.errors import ButtonError, StructuredOutputError
from button.llm.client import ModelClient
from button.llm.endpoints import Role
from harness.run.assistant_protocol import AssistantProtocol, read_reply, request_for
from harness.run.mcp_tools import ToolOutcome, ToolSession
from simulator.user_simulator import Line, UserSimulator


@dataclass(frozen=True)
class LoopSettings:
    """How every conversation of a run is held."""

    max_turns: int = 10
    system_prompt: str | None = None
    tool_choice: str = "auto"
    protocol: AssistantProtocol = AssistantProtocol.NATIVE


class TrajectoryBuilder:
    """Collects messages with their metadata and usage per role."""

    def __init__(self, trajectory: Trajectory) -> None:
        self.trajectory = trajectory

    def add(
        self,
        message: ChatMessage,
        source: MessageSource,
        *,
        role: Role | None = None,
        latency_s: float = 0.0,
        usage: Usage | None = None,
        error: str | None = None,
        raw: str | None = None,
    ) -> None:
        self.trajectory.messages.append(message)
        meta = MessageMeta(
            source=source, wall_time=time.time(), latency_s=latency_s, usage=usage, error=error, raw=raw
        )
        self.trajectory.meta.append(meta)
        if role is not None and usage is not None:
            self.charge(role, usage)

    def charge(self, role: Role, usage: Usage) -> None:
        """Count ``usage`` under ``role`` (also the cost of a turn that failed)."""
        self.trajectory.usage.setdefault(role.value, Usage()).add(usage)

    def add_tool_outcome(self, outcome: ToolOutcome) -> None:
        """Add a tool message with what it cost, and the model another MCP server's tool
        simulator reported in it: that prices the tool role's usage (by model name, its
        endpoint not being known here). A simulator served here is recorded already."""
        if outcome.model and Role.TOOL.value not in self.trajectory.endpoints:
            self.trajectory.endpoints[Role.TOOL.value] = EndpointInfo(model=outcome.model, base_url="")
        self.add(
            outcome.message,
            MessageSource.TOOL_SERVER,
            role=Role.TOOL,
            latency_s=outcome.latency_s,
            usage=outcome.usage,
            error=outcome.error,
        )

    def finish(self, status: TrajectoryStatus, error: str | None = None) -> Trajectory:
        self.trajectory.status = status
        self.trajectory.error = error
        self.trajectory.ended_at = time.time()
        return self.trajectory


async def run_conversation(
    task: Task,
    trial: int,
    run_id: str,
    *,
    assistant: ModelClient,
    user: UserSimulator,
    tools: ToolSession,
    settings: LoopSettings,
    endpoints: dict[str, EndpointInfo],
) -> Trajectory:
    """Hold one conversation and return its trajectory (never raises a ``ButtonError``)."""
    now = time.time()
    builder = TrajectoryBuilder(
        Trajectory(
            id=Trajectory.make_id(task.id, trial),
            task_id=task.id,
            trial=trial,
            run_id=run_id,
            endpoints=endpoints,
            tools=tools.tools,
            status=TrajectoryStatus.ERROR,
            started_at=now,
            ended_at=now,
        )
    )
    try:
        status = await _converse(builder, assistant, user, tools, settings)
    except ButtonError as error:
        return builder.finish(TrajectoryStatus.ERROR, str(error))
    return builder.finish(status)


async def _converse(
    builder: TrajectoryBuilder,
    assistant: ModelClient,
    user: UserSimulator,
    tools: ToolSession,
    settings: LoopSettings,
) -> TrajectoryStatus:
    if settings.system_prompt:
        builder.add({"role": "system", "content": settings.system_prompt}, MessageSource.SYSTEM)
    transcript: list[Line] = []
    turns = 0
    while True:
        try:
            said = await user.next_turn(transcript)
        except StructuredOutputError as error:
            builder.charge(Role.USER, error.usage or Usage())  # the failed tries were paid for
            raise
        transcript.append(Line("user", said.message))
        builder.add(
            {"role": "user", "content": said.message},
            MessageSource.USER_SIMULATOR,
            role=Role.USER,
            latency_s=said.latency_s,
            usage=said.usage,
            error=said.note,
        )
        if said.stop:
            return TrajectoryStatus.COMPLETED
        while True:  # assistant turns until it hands the word back
            if turns >= settings.max_turns:
                return TrajectoryStatus.MAX_TURNS
            turns += 1
            request = request_for(settings.protocol, builder.trajectory, settings.tool_choice)
            reply = await assistant.chat(
                request.messages, tools=request.tools, tool_choice=request.tool_choice
            )
            reading = read_reply(settings.protocol, reply.message, builder.trajectory)
            builder.add(
                reading.message,
                MessageSource.ASSISTANT,
                role=Role.ASSISTANT,
                latency_s=reply.latency_s,
                usage=reply.usage,
                error=reading.problem,
                raw=reading.raw,
            )
            calls = reading.message.get("tool_calls") or []
            if not calls:
                transcript.append(Line("assistant", reading.message.get("content") or ""))
                break
            for outcome in await tools.call_all(calls):
                builder.add_tool_outcome(outcome)
