"""The optional LLM judge: a success verdict with a reason, from any model.

The judge sees the task (scenario and instruction) and the whole conversation
with every tool call and result, and answers ``{"reason", "success"}`` through
``ModelClient.complete_json``. It is asked above all whether the final answer
is faithful to the tool results (no contradiction, no swapped values, no
claim no tool made), which the deterministic checks cannot see. It runs at
temperature 0 with a fixed seed (``JUDGE_SAMPLING``), so a rescore asks the
same way. Its token usage goes into the verdict, like every other role's.
Its verdict gates success (``harness.score.verdict.apply_verdict``).
"""

from __future__ import annotations

import string
from pathlib import Path

from button.data_model.task import Task
from button.data_model.trajectory import JudgeVerdict, Trajectory
from button.llm.client import ModelClient
from harness.score.calls import message_text

PROMPT = string.Template((Path(__file__).parent / "prompts" / "judge.md").read_text(encoding="utf-8"))
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"reason": {"type": "string", "minLength": 1}, "success": {"type": "boolean"}},
    "required": ["reason", "success"],
    "additionalProperties": False,
}
JUDGE_SAMPLING = {"temperature": 0, "seed": 1234}
MAX_TRANSCRIPT_CHARS = 6000  # the embedded model has an 8k-token window
MAX_LINE_CHARS = 600


def judge_prompt(trajectory: Trajectory, task: Task | None) -> str:
    return PROMPT.substitute(
        scenario=task.scenario if task else "(unknown)",
        instruction=task.instruction if task else "(see the conversation)",
        transcript=transcript(trajectory),
    )


def transcript(trajectory: Trajectory) -> str:
    """The conversation as plain lines; the middle is cut when it is too long."""
    names = {
        call.get("id"): (call.get("function") or {}).get("name", "?")
        for message in trajectory.messages
        for call in message.get("tool_calls") or []
    }
    lines: list[str] = []
    for message in trajectory.messages:
        role = message.get("role")
        if role == "user":
            lines.append(f"USER: {message_text(message.get('content'))}")
        elif role == "assistant":
            if message_text(message.get("content")):
                lines.append(f"ASSISTANT: {message_text(message.get('content'))}")
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                lines.append(f"CALL {function.get('name')}({function.get('arguments')})")
        elif role == "tool":
            name = names.get(message.get("tool_call_id"), "?")
            lines.append(f"RESULT of {name}: {message_text(message.get('content'))}")
    lines = [line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 3] + "..." for line in lines]
    text = "\n".join(lines)
    if len(text) > MAX_TRANSCRIPT_CHARS:
        half = MAX_TRANSCRIPT_CHARS // 2
        text = text[:half] + "\n[... middle of the conversation left out ...]\n" + text[-half:]
    return text


async def judge(client: ModelClient, trajectory: Trajectory, task: Task | None) -> JudgeVerdict:
    """One verdict; ``StructuredOutputError`` (a ``ModelError``) if the model never answers validly."""
    messages = [{"role": "user", "content": judge_prompt(trajectory, task)}]
    value, usage = await client.complete_json(messages, VERDICT_SCHEMA, name="verdict", **JUDGE_SAMPLING)
    return JudgeVerdict(
        success=bool(value["success"]),
        reason=str(value["reason"]),
        model=client.model,
        base_url=client.info.base_url,
        usage=usage,
    )
