"""Stage 1 from conversations: one realistic scenario extracted from each.

Input is JSONL, one conversation a line, in either common shape:

- ``{"messages": [...]}``: OpenAI chat messages (a run's ``trajectories.jsonl``
  has this field, so a run's conversations can seed new tasks);
- ``{"conversations": [{"from": "human", "value": "..."}, ...]}``: ShareGPT.

A malformed line is the user's error: the whole file is checked before any
model call, and the first bad line stops the run (``FILE:LINE: what``). A
well-formed conversation with nothing to extract from (no user text) is data:
it is dropped with a reason in the report. The model sees a bounded transcript
(the opening of a long conversation states the situation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from button.data_model.json_types import JsonSchema
from button.errors import InputError
from button.storage.records import iter_lines
from simulator.synthesis.rows import ConversationRow, ScenarioSource
from simulator.synthesis.scenarios import MAX_SCENARIO_CHARS, MIN_SCENARIO_CHARS
from simulator.synthesis.stage_context import Dropped, DropReason, SynthContext, text_field
from simulator.synthesis.text_rules import content_words, tool_name_in

MAX_TURN_CHARS = 500
MAX_TRANSCRIPT_CHARS = 2000
OPENAI_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
                "tool": "tool", "function": "tool"}  # fmt: skip
SHAREGPT_SPEAKERS = {
    "system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
    "chatgpt": "assistant", "model": "assistant", "bard": "assistant", "bing": "assistant",
    "function_call": "assistant", "tool_call": "assistant", "observation": "tool", "tool": "tool",
    "function_response": "tool", "function": "tool", "ipython": "tool",
}  # fmt: skip
SPEAKER_LABELS = {"user": "User", "assistant": "Assistant", "tool": "Service result"}

EXTRACT_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {"scenario": text_field(MIN_SCENARIO_CHARS, MAX_SCENARIO_CHARS)},
    "required": ["scenario"],
}


@dataclass(frozen=True)
class Conversation:
    source: str  # FILE:LINE
    turns: tuple[tuple[str, str], ...]  # (role: system|user|assistant|tool, text)


def read_conversations(path: Path) -> list[Conversation]:
    """Every conversation of a JSONL file; ``InputError`` at the first bad line."""
    if not path.is_file():
        raise InputError("no such file", where=str(path))
    found: list[Conversation] = []
    problems: list[tuple[int, str]] = []
    try:
        for line, value, problem in iter_lines(path):
            if value is not None:
                try:
                    found.append(Conversation(f"{path}:{line}", parse_conversation(value)))
                    continue
                except ValueError as error:
                    problem = str(error)
            problems.append((line, problem or "?"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read: {error}", where=str(path)) from error
    if problems:
        line, problem = problems[0]
        more = f" (and {len(problems) - 1} more bad lines)" if len(problems) > 1 else ""
        raise InputError(problem + more, where=f"{path}:{line}")
    if not found:
        raise InputError("holds no conversations (JSONL, one a line)", where=str(path))
    return found


def parse_conversation(value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (role, text) turns of one record; ``ValueError`` naming the bad field."""
    if isinstance(value.get("messages"), list):
        field, turns = "messages", tuple(_openai_turn(i, m) for i, m in enumerate(value["messages"]))
    elif isinstance(value.get("conversations"), list):
        field, turns = (
            "conversations",
            tuple(_sharegpt_turn(i, m) for i, m in enumerate(value["conversations"])),
        )
    else:
        raise ValueError('expected a "messages" list (OpenAI chat) or a "conversations" list (ShareGPT)')
    if not turns:
        raise ValueError(f"{field}: the conversation is empty")
    return turns


def _openai_turn(index: int, message: Any) -> tuple[str, str]:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise ValueError(f"{where}: a message must be an object")
    name = message.get("role")
    role = OPENAI_ROLES.get(name) if isinstance(name, str) else None
    if role is None:
        raise ValueError(f"{where}.role: expected one of {', '.join(OPENAI_ROLES)}, got {name!r}")
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    elif content is not None and not isinstance(content, str):
        raise ValueError(f"{where}.content: expected text, a list of parts, or null")
    text = content or ""
    if not text.strip() and message.get("tool_calls"):
        text = "(uses an online service)"
    return role, text


def _sharegpt_turn(index: int, turn: Any) -> tuple[str, str]:
    where = f"conversations[{index}]"
    if not isinstance(turn, dict):
        raise ValueError(f"{where}: a turn must be an object")
    speaker = turn.get("from")
    role = SHAREGPT_SPEAKERS.get(speaker.lower()) if isinstance(speaker, str) else None
    if role is None:
        raise ValueError(f"{where}.from: unknown speaker {speaker!r} (human, gpt, system, tool, ...)")
    if not isinstance(turn.get("value"), str):
        raise ValueError(f"{where}.value: expected text")
    return role, str(turn["value"])


def transcript(turns: tuple[tuple[str, str], ...]) -> str:
    """The conversation as the model reads it: labelled turns, each and all bounded."""
    lines = []
    for role, text in turns:
        if role in SPEAKER_LABELS and text.strip():
            body = " ".join(text.split())
            body = body if len(body) <= MAX_TURN_CHARS else body[: MAX_TURN_CHARS - 3] + "..."
            lines.append(f"{SPEAKER_LABELS[role]}: {body}")
    return "\n".join(lines)[:MAX_TRANSCRIPT_CHARS]


def conversation_inputs(conversations: list[Conversation]) -> list[tuple[str, ConversationRow]]:
    return [
        (
            f"sc{i}",
            {
                "source": c.source,
                "transcript": transcript(c.turns),
                "user_text": " ".join(text for role, text in c.turns if role == "user"),
            },
        )
        for i, c in enumerate(conversations)
    ]


def has_user_text(key: str, item: ConversationRow) -> Dropped | None:
    """A pre-check: a conversation where the user says nothing has no situation to extract."""
    return None if item["user_text"].strip() else Dropped(DropReason.NO_USER_MESSAGE, item["source"])


async def extract_scenario(ctx: SynthContext, key: str, item: ConversationRow) -> ScenarioSource:
    value = await ctx.ask(key, "extract_scenario", EXTRACT_SCHEMA, transcript=item["transcript"])
    text = " ".join(str(value["scenario"]).split())
    word = tool_name_in(text)
    if word:
        raise Dropped(DropReason.NAMES_TOOL, repr(word))
    if not content_words(text) & content_words(item["user_text"]):
        raise Dropped(DropReason.OFF_CONVERSATION, "shares no content word with the user's turns")
    invented = [name for name in names_in(text) if name.casefold() not in item["transcript"].casefold()]
    if invented:
        raise Dropped(DropReason.NAME_NOT_IN_CONVERSATION, invented[0])
    return {"text": text, "source": item["source"]}


def names_in(text: str) -> list[str]:
    """Capitalized words that do not start a sentence: names of people, places, things.
    An extracted scenario must take them from the conversation (the prompt's example
    is what a small model copies instead)."""
    words = text.split()
    return [
        word.strip(".,;:!?()'")
        for i, word in enumerate(words)
        if i > 0 and word[:1].isupper() and word != "I" and not words[i - 1].endswith((".", "!", "?", ":"))
    ]
