"""Shards as separate ``button run`` processes do the work of one run, ``button merge`` joins
them, score shards join without judging twice, and ``--workers`` shares one run directory.

Every model role is a scripted OpenAI-compatible server whose tool-call ids come from the
request, and the tools are one real MCP server over HTTP shared by every process, so a
conversation is the same whichever process holds it; only its timings differ.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from button.cost.ledger import read_ledger
from button.data_model.trajectory import Trajectory, TrajectoryStatus
from button.storage.records import iter_lines, read_records
from button.validation.taskfile import load_tasks
from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)
from tests.harness.test_cost_ledger import TASK as CAPPED_TASK
from tests.harness.test_cost_ledger import Endpoints, lines

SHARDS = 3
TRIALS = 2
ALL_PAIRS = {(task.id, trial) for task in load_tasks(TASKS_FILE) for trial in range(TRIALS)}
TASK_LINE = "What you want done (your whole task): "
TIMINGS = ("started_at", "ended_at")
META_TIMINGS = ("wall_time", "latency_s")


def responder(body: dict[str, Any]) -> Reply:
    """The user states the task and thanks; the assistant checks the weather once and answers;
    a judge finds every answer faithful."""
    if "verdict" in json.dumps(body.get("response_format") or {}):
        return say(json.dumps({"reason": "the answer states the result", "success": True}))
    if is_user_request(body):
        if opening(body):
            prompt = body["messages"][0]["content"]
            return user_turn(prompt.split(TASK_LINE, 1)[1].split("\n", 1)[0], stop=False)
        return user_turn("Thanks.", stop=True)
    if not any(m["role"] == "tool" for m in body["messages"]):
        return call(("get_weather", {"city": "Denver"}))
    return say("Done: it is 18 degrees in Denver.")


def button(server: ScriptedOpenAI, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``button ARGS`` to its end, the scripted server as the assistant and user."""
    env = {**os.environ, **server.env("assistant", "user")}
    return subprocess.run([BUTTON, *map(str, args)], env=env, capture_output=True, text=True, timeout=300)


def start(server: ScriptedOpenAI, *args: str | Path) -> subprocess.Popen[str]:
    """``button ARGS`` started, not waited for."""
    env = {**os.environ, **server.env("assistant", "user")}
    command = [BUTTON, *map(str, args)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_args(out: Path, tools_url: str, *extra: str) -> list[str | Path]:
    return [
        "run", TASKS_FILE, "--out", out, "--trials", str(TRIALS), "--concurrency", "4", "--max-turns", "4",
        "--mcp-url", tools_url, "--allow-missing-tools", *extra,
    ]  # fmt: skip


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def conversations(run: Path) -> dict[str, str]:
    """Trajectory id -> the trajectory's JSON with its timings zeroed; each id once."""
    found: dict[str, str] = {}
    for _, value, _ in iter_lines(run / "trajectories.jsonl"):
        assert value is not None
        for name in TIMINGS:
            value[name] = 0
        for meta in value["meta"]:
            for name in META_TIMINGS:
                meta[name] = 0
        assert value["id"] not in found, f"{value['id']} twice"
        found[value["id"]] = json.dumps(value)
    return found


def pairs(run: Path) -> set[tuple[str, int]]:
    return {
        (value["task_id"], value["trial"]) for _, value, _ in iter_lines(run / "trajectories.jsonl") if value
    }


def scores(run: Path, name: str = "scores.jsonl") -> dict[str, dict[str, Any]]:
    return {value["trajectory_id"]: value for _, value, _ in iter_lines(run / name) if value}


def test_three_shard_processes_merge_into_exactly_one_unsharded_run(tmp_path: Path, tools_url: str) -> None:
    # the same last path part everywhere: it is the run id, which episode ids (and so the tool results) carry
    single, merged = tmp_path / "single" / "run", tmp_path / "merged" / "run"
    shards = [tmp_path / f"shard{index}" / "run" for index in range(SHARDS)]
    with ScriptedOpenAI(responder, stable_ids=True) as server:
        started = [start(server, *run_args(single, tools_url))]
        started += [
            start(server, *run_args(shard, tools_url, "--shard", f"{index}/{SHARDS}"))
            for index, shard in enumerate(shards)
        ]
        for process in started:
            finish(process)
        for index, shard in enumerate(shards):
            assert (
                json.loads((shard / "manifest.json").read_text())["settings"]["shard"] == f"{index}/{SHARDS}"
            )
            assert 0 < len(pairs(shard)) < len(ALL_PAIRS)
        for run in (single, *shards):
            scored = button(server, "score", run, "--show", "none")
            assert scored.returncode == 0, scored.stderr

        joined = button(server, "merge", *shards, "--out", merged)
        assert joined.returncode == 0, joined.stderr
        assert f"{len(ALL_PAIRS)} of {len(ALL_PAIRS)} (task, trial) pairs" in joined.stdout
        assert "scores: carried over" in joined.stdout

        # every (task, trial) exactly once, each conversation as the unsharded run had it
        assert sum(len(pairs(shard)) for shard in shards) == len(ALL_PAIRS)
        assert pairs(merged) == ALL_PAIRS == pairs(single)
        assert conversations(merged) == conversations(single)
        assert scores(merged) == scores(single)
        manifest = json.loads((merged / "manifest.json").read_text())
        assert "shard" not in manifest["settings"] and manifest["merged_from"] == list(map(str, shards))

        rescored = button(server, "score", merged, "--show", "none")  # the merged run is an ordinary run
        assert rescored.returncode == 0, rescored.stderr
        assert scores(merged) == scores(single)

        # a shard left out: the merge writes what there is, names the gap, exits 1; `button run` fills it
        partial = tmp_path / "partial" / "run"
        gap = button(server, "merge", shards[0], shards[1], "--out", partial)
        missing = len(pairs(shards[2]))
        assert gap.returncode == 1
        assert gap.stderr.startswith(
            f"error: {partial}: {missing} of {len(ALL_PAIRS)} (task, trial) pairs are in no shard"
        )
        assert "scores: carried over" in gap.stdout
        requests = len(server.requests)
        filled = button(server, *run_args(partial, tools_url))
        assert filled.returncode == 0, filled.stderr
        assert len(server.requests) - requests == 4 * missing  # 4 model calls a conversation: only the gap
        assert conversations(partial) == conversations(single)

        # the run id of every trajectory and score is the merged run's
        renamed = tmp_path / "merged" / "joined"
        assert button(server, "merge", *shards, "--out", renamed).returncode == 0
        assert {
            json.loads(line)["run_id"] for line in (renamed / "trajectories.jsonl").read_text().splitlines()
        } == {"joined"}
        assert {score["run_id"] for score in scores(renamed).values()} == {"joined"}


def test_a_merge_of_different_shards_is_refused_and_names_the_difference(
    tmp_path: Path, tools_url: str
) -> None:
    one_task = ["--task", "travel.flight_then_hotel"]
    runs = {
        "first": ("--shard", "0/2"),
        "turns": ("--shard", "1/2", "--max-turns", "3"),
        "count": ("--shard", "1/3"),
        "trials": ("--shard", "1/2", "--trials", "3"),
        "again": ("--shard", "0/2"),
    }
    with ScriptedOpenAI(responder, stable_ids=True) as server:
        for name, extra in runs.items():
            done = button(server, *run_args(tmp_path / name, tools_url, *one_task, *extra))
            assert done.returncode == 0, done.stderr
        refusals = {
            name: button(
                server, "merge", tmp_path / "first", tmp_path / name, "--out", tmp_path / f"m-{name}"
            )
            for name in ("turns", "count", "trials", "again")
        }
        other_shard = button(server, *run_args(tmp_path / "first", tools_url, *one_task, "--shard", "1/2"))
    assert other_shard.returncode == 2  # a shard's run resumes only as the same shard
    assert 'settings.shard: "0/2" -> "1/2"' in other_shard.stderr and "Traceback" not in other_shard.stderr
    why = {
        "turns": "(settings.max_turns: 4 -> 3)",
        "count": "(settings.shard: 0/2 -> 1/3 (a different shard count))",
        "trials": "(options.trials: 2 -> 3)",
    }
    for name, done in refusals.items():
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        (line,) = done.stderr.splitlines()
        if name == "again":
            assert line == (
                f"error: {tmp_path / 'again'}: shard 0/2 is given twice: {tmp_path / 'first'} and {tmp_path / 'again'}"
            )
        else:
            assert (
                line
                == f"error: {tmp_path / name}: not a shard of the same run as {tmp_path / 'first'} {why[name]}"
            )
        assert not (tmp_path / f"m-{name}" / "trajectories.jsonl").exists()

    # a directory whose trajectories are not its shard's: refused, and no merged directory is left
    mislabelled = tmp_path / "mislabelled"
    shutil.copytree(tmp_path / "first", mislabelled)
    manifest = json.loads((mislabelled / "manifest.json").read_text())
    manifest["settings"]["shard"] = "1/2"
    (mislabelled / "manifest.json").write_text(json.dumps(manifest))
    with ScriptedOpenAI(responder) as server:
        refused = button(
            server, "merge", tmp_path / "again", mislabelled, "--out", tmp_path / "m-mislabelled"
        )
    (line,) = refused.stderr.splitlines()
    assert refused.returncode == 2 and "belongs to another shard than 1/2" in line, refused.stderr
    assert not (tmp_path / "m-mislabelled").exists()


def test_score_shards_join_without_judging_twice(tmp_path: Path, tools_url: str) -> None:
    run = tmp_path / "run"
    with ScriptedOpenAI(responder, stable_ids=True) as server:
        made = button(server, *run_args(run, tools_url))
        assert made.returncode == 0, made.stderr
        judge = ["--judge-base-url", server.base_url, "--judge-model", server.model, "--show", "none"]

        def verdicts_asked() -> int:
            return sum("verdict" in json.dumps(body.get("response_format") or {}) for body in server.requests)

        for index in range(SHARDS):
            part = button(server, "score", run, "--shard", f"{index}/{SHARDS}", *judge)
            assert part.returncode == 0, part.stderr
        assert verdicts_asked() == len(ALL_PAIRS)
        parts = [scores(run, f"scores.shard-{index}-of-{SHARDS}.jsonl") for index in range(SHARDS)]
        assert sum(map(len, parts)) == len(ALL_PAIRS) and set().union(*parts) == {
            f"{t}#{n}" for t, n in ALL_PAIRS
        }

        joined = button(server, "score", run, *judge)
        assert joined.returncode == 0, joined.stderr
        assert verdicts_asked() == len(ALL_PAIRS)  # every verdict came from the shard files
    everything = scores(run)
    assert len(everything) == len(ALL_PAIRS)
    assert all(score["judge"]["success"] for score in everything.values())
    for shard_scores in parts:
        for trajectory_id, score in shard_scores.items():
            assert everything[trajectory_id] == score


def test_workers_share_one_run_directory(tmp_path: Path, tools_url: str) -> None:
    single, shared = tmp_path / "single" / "run", tmp_path / "workers" / "run"
    with ScriptedOpenAI(responder, stable_ids=True) as server:
        assert button(server, *run_args(single, tools_url)).returncode == 0
        done = button(server, *run_args(shared, tools_url, "--workers", "2"))
        assert done.returncode == 0, done.stderr
        assert "completed" in done.stdout
    assert json.loads((shared / "manifest.json").read_text())["options"]["workers"] == 2
    assert conversations(shared) == conversations(single)


def test_stopping_a_run_with_workers_stops_them_and_a_rerun_finishes(tmp_path: Path, tools_url: str) -> None:
    out = tmp_path / "run"
    path = out / "trajectories.jsonl"
    with ScriptedOpenAI(responder, latency_s=0.05, stable_ids=True) as server:
        process = start(server, *run_args(out, tools_url, "--workers", "2", "--concurrency", "2"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not path.exists() or path.read_text().count("\n") < 3):
            time.sleep(0.05)
        workers = _children(process.pid)
        assert len(workers) >= 2  # the spawned workers (and multiprocessing's resource tracker)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 143, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        time.sleep(1.0)
        assert [pid for pid in workers if _running(pid)] == []
        before = pairs(out)
        assert 3 <= len(before) < len(ALL_PAIRS) and path.read_text().endswith("\n")

        rerun = button(server, *run_args(out, tools_url, "--workers", "2"))
        assert rerun.returncode == 0, rerun.stderr
    assert pairs(out) == ALL_PAIRS and len(conversations(out)) == len(ALL_PAIRS)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_workers_keep_the_run_budget_and_a_higher_cap_finishes_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "capped"
    total = 12
    with ExitStack() as stack:
        endpoints = Endpoints(stack)
        for server in endpoints.servers.values():
            server.latency_s = 0.05
        command = [
            BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--task", CAPPED_TASK, "--no-cache",
            "--trials", str(total), "--concurrency", "2", "--workers", "2",
            *endpoints.flags("assistant", "user", "tool"),
        ]  # fmt: skip
        capped = subprocess.run(
            [*command, "--budget-tokens", "1"], capture_output=True, text=True, timeout=300
        )
        assert capped.returncode == 3, capped.stderr
        made = read_records(out / "trajectories.jsonl", Trajectory)
        # the workers stop starting conversations once the parent sees the cap reached
        assert 2 <= len(made) <= total // 2 and {t.status for t in made} == {TrajectoryStatus.COMPLETED}
        ledger = read_ledger(out / "cost.json")
        assert capped.stderr.splitlines()[-1] == (
            f"stopped: {out}: --budget-tokens 1 reached ({ledger.tokens:,} tokens spent); "
            f"{total - len(made)} conversations not started; rerun with a higher cap to continue"
        )
        assert ledger.conversations == len(made)

        done = subprocess.run(
            [*command, "--budget-tokens", str(ledger.tokens * 100)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert sorted(t.trial for t in read_records(out / "trajectories.jsonl", Trajectory)) == list(range(total))
    ledger = read_ledger(out / "cost.json")
    assert ledger.conversations == total
    assert lines(ledger) == {role: endpoints.reported(role) for role in ("user", "tool", "assistant")}
