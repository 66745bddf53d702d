"""Exported records against an independent reading of each format's published rules, and
their traceability to trajectory and task.

The readers below are written from the formats' own documents, not from our encoders
or checkers, and share no code with them:

- OpenAI chat fine-tuning: the per-line training example of the API reference
  (``FineTuneChatRequestInput``: ``messages``, ``tools``, ``parallel_tool_calls``,
  ``functions``) and the chat message objects (tool calls with an id, type
  ``function``, a name and JSON-text arguments; each answered by a ``tool`` message
  carrying its ``tool_call_id``);
- LLaMA-Factory ShareGPT (``data/README.md``): ``conversations`` of ``from``/``value``;
  human and observation in odd positions, gpt and function_call in even ones
  (counting from 1); ``system`` and ``tools`` strings;
- BUTTONInstruct (the BUTTON repository's README, "Data Format"): ``messages`` of
  ``role``/``content`` (roles system, user, assistant, tool); the system prompt
  encloses the tool list in ``<tool></tool>``; the assistant thinks, then calls
  inside ``<call></call>`` (a JSON list of name/arguments), or gives the final
  summary inside ``<final></final>``; a tool message is a JSON list of
  name/arguments/results, one per call.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.trajectory import Trajectory
from button.storage.records import read_records
from tests.conftest import FIXTURES

SCORING = FIXTURES / "scoring"
TRAJECTORIES = {t.id: t for t in read_records(SCORING / "trajectories.jsonl", Trajectory)}


def openai_problems(record: dict[str, Any]) -> list[str]:
    problems = []
    if not set(record) <= {"messages", "tools", "parallel_tool_calls", "functions"}:
        problems.append(f"keys outside the training example: {sorted(record)}")
    for tool in record.get("tools", []):
        if tool.get("type") != "function" or not isinstance(tool.get("function", {}).get("name"), str):
            problems.append(f"not a function tool: {tool}")
    open_calls: list[str] = []
    for message in record["messages"]:
        role = message["role"]
        if role == "tool":
            if message.get("tool_call_id") not in open_calls:
                problems.append(f"tool message answers no open call: {message.get('tool_call_id')}")
            else:
                open_calls.remove(message["tool_call_id"])
            if not isinstance(message.get("content"), str):
                problems.append("tool content is not a string")
            continue
        if open_calls:
            problems.append(f"calls left unanswered: {open_calls}")
            open_calls = []
        if role in ("system", "user"):
            if not isinstance(message.get("content"), str):
                problems.append(f"{role} content is not a string")
        elif role == "assistant":
            calls = message.get("tool_calls") or []
            if not calls and not message.get("content"):
                problems.append("assistant message with neither content nor tool calls")
            for call in calls:
                arguments = json.loads(call["function"]["arguments"])
                if call.get("type") != "function" or not call.get("id") or not isinstance(arguments, dict):
                    problems.append(f"malformed tool call: {call}")
                open_calls.append(call["id"])
        else:
            problems.append(f"unknown role {role}")
    if record["messages"][-1]["role"] != "assistant":
        problems.append("the example does not end with an assistant message")
    return problems


def sharegpt_problems(record: dict[str, Any]) -> list[str]:
    problems = []
    turns = record["conversations"]
    for number, turn in enumerate(turns, start=1):  # positions count from 1
        allowed = ("human", "observation") if number % 2 == 1 else ("gpt", "function_call")
        if turn["from"] not in allowed or not isinstance(turn["value"], str):
            problems.append(f"position {number}: {turn['from']} where {allowed} belong")
        if turn["from"] == "function_call":
            value = json.loads(turn["value"])
            for call in value if isinstance(value, list) else [value]:
                if set(call) != {"name", "arguments"}:
                    problems.append(f"position {number}: a call is not name/arguments: {call}")
    if len(turns) % 2 or turns[-1]["from"] != "gpt":
        problems.append("the conversation does not end with a gpt turn")
    if not isinstance(record.get("system", ""), str) or not isinstance(record.get("tools", ""), str):
        problems.append("system and tools must be strings")
    return problems


def button_problems(record: dict[str, Any]) -> list[str]:
    problems = []
    messages = record["messages"]
    if set(record) != {"messages"}:
        problems.append(f"keys besides messages: {sorted(record)}")
    if any(set(m) != {"role", "content"} or not isinstance(m["content"], str) for m in messages):
        problems.append("a message is not exactly a role and a string content")
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    opened, closed = system.find("<tool>"), system.find("</tool>")
    if opened < 0 or closed < opened:
        problems.append("the system prompt does not enclose the tools in <tool></tool>")
    else:
        json.loads(system[opened + len("<tool>") : closed])
    calls: list[dict[str, Any]] = []
    for position, message in enumerate(messages[1:], start=1):
        role, content = message["role"], message["content"]
        if role == "assistant" and content.endswith("</call>"):
            calls = json.loads(content[content.rfind("<call>") + len("<call>") : -len("</call>")])
            if not calls or any(set(call) != {"name", "arguments"} for call in calls):
                problems.append(f"message {position}: a call is not name/arguments")
        elif role == "tool":
            results = json.loads(content)
            expected = [(call["name"], call["arguments"]) for call in calls]
            if [(r["name"], r["arguments"]) for r in results] != expected or any(
                "results" not in r for r in results
            ):
                problems.append(f"message {position}: results do not answer the calls one to one")
            calls = []
        elif role not in ("user", "assistant"):
            problems.append(f"message {position}: unknown role {role}")
    finals = [m for m in messages if m["role"] == "assistant" and m["content"].startswith("<final>")]
    if len(finals) != 1 or finals[0] is not messages[-1] or not messages[-1]["content"].endswith("</final>"):
        problems.append("not exactly one <final>...</final>, at the end")
    return problems


READERS = {"openai": openai_problems, "sharegpt": sharegpt_problems, "button": button_problems}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(SCORING, target)
    return target


def export(run: Path, form: str, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[Any]:
    assert main(["export", str(run), "--format", form, "--out", str(out), "--json", *extra]) == 0
    report = json.loads(capsys.readouterr().out)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert report["written"] == len(records) > 0
    return records


def first_user_text(record: dict[str, Any], form: str) -> str:
    if form == "sharegpt":
        return str(next(t["value"] for t in record["conversations"] if t["from"] == "human"))
    return str(next(m["content"] for m in record["messages"] if m["role"] == "user"))


@pytest.mark.parametrize("form", sorted(READERS))
def test_records_follow_the_published_rules_and_trace_back(
    form: str, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{form}.jsonl"
    sidecar = tmp_path / f"{form}.jsonl.ids"
    sidecar.write_text("stale\n")  # from an earlier export: replaced, or removed
    records = export(run, form, out, capsys)
    for record in records:
        assert READERS[form](record) == []
    if form == "sharegpt":  # the format takes extra keys: fields
        assert not sidecar.exists()
        ids = [record["trajectory_id"] for record in records]
        assert all(record["task_id"] == TRAJECTORIES[record["trajectory_id"]].task_id for record in records)
    else:  # no extra keys: one trajectory id a line, in record order
        ids = sidecar.read_text().splitlines()
        assert len(ids) == len(records)
    assert len(set(ids)) == len(ids)
    for trajectory_id, record in zip(ids, records, strict=True):
        trajectory = TRAJECTORIES[trajectory_id]
        user = next(m["content"] for m in trajectory.messages if m["role"] == "user")
        assert first_user_text(record, form) == user


PERFECT = next(t for t in TRAJECTORIES.values() if t.id.endswith("#perfect"))
ANSWER = next(m["content"] for m in reversed(PERFECT.messages) if m["role"] == "assistant")


def asking_first_and_thanked_after() -> Trajectory:
    """The perfect trajectory with a clarifying question before the calls, and
    "Thanks!" / "Glad to help!" after the answer (instead of its closing user message)."""
    messages = list(PERFECT.messages)
    while messages[-1]["role"] == "user":
        messages.pop()
    first_user = next(i for i, m in enumerate(messages) if m["role"] == "user")
    messages[first_user + 1 : first_user + 1] = [
        {"role": "assistant", "content": "Which exchange are the two stocks listed on?"},
        {"role": "user", "content": "Both are on NASDAQ."},
    ]
    messages += [
        {"role": "user", "content": "Thanks!"},
        {"role": "assistant", "content": "Glad to help!"},
    ]
    return PERFECT.model_copy(update={"id": "asking#0", "messages": messages, "meta": []})


def test_a_question_to_the_user_in_the_button_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trajectory = asking_first_and_thanked_after()
    answer = ANSWER
    path = tmp_path / "trajectories.jsonl"
    path.write_text(trajectory.model_dump_json() + "\n")
    (record,) = export(path, "button", tmp_path / "b.jsonl", capsys)
    assert button_problems(record) == []
    assistant = [m["content"] for m in record["messages"] if m["role"] == "assistant"]
    assert assistant[0] == "Which exchange are the two stocks listed on?"  # plain text, no tag
    question_at = next(i for i, m in enumerate(record["messages"]) if m["content"] == assistant[0])
    assert record["messages"][question_at + 1] == {"role": "user", "content": "Both are on NASDAQ."}
    assert assistant[-1] == f"<final>{answer}</final>"  # the answer, not the pleasantry, and last
    assert sum("<final>" in text for text in assistant) == 1
    assert "Glad to help!" not in json.dumps(record) and "Thanks!" not in json.dumps(record)
    (kept,) = export(path, "openai", tmp_path / "o.jsonl", capsys)  # other formats keep every turn
    assert openai_problems(kept) == []
    texts = [m["content"] for m in kept["messages"] if m["role"] == "assistant" and m["content"]]
    assert texts == ["Which exchange are the two stocks listed on?", answer, "Glad to help!"]


def test_the_openai_checker_refuses_keys_openai_refuses() -> None:
    from harness.export import openai_format
    from harness.export.clean_conversation import conversation_of

    trajectory = PERFECT
    record = openai_format.encode(conversation_of(trajectory.messages), trajectory.tools)
    assert openai_format.check(record) == [] and openai_problems(record) == []
    record["trajectory_id"] = trajectory.id
    assert openai_format.check(record) == ["bad record: keys OpenAI does not accept: trajectory_id"]
    assert openai_problems(record) != []
