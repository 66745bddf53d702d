# ruff: noqa: E402  (the repository root goes on sys.path before the imports)
"""Benchmark of ``button run``: concurrency scaling and the harness's own overhead.

1. Throughput. Every model role is a scripted OpenAI-compatible endpoint
   answering after a fixed 100 ms, in its own process; the tool is a real MCP
   server over HTTP whose call also takes 100 ms. A conversation is five such
   steps (the user states the task, assistant call, tool, assistant answer,
   user stop). Reported: conversations per second at concurrency 1, 32, 128
   and 256 with 1 and with 2 worker processes (``--workers``; median of
   --repeats), as ratios to concurrency 1, also steady (between the first
   and the last conversation's end, so without the workers' start of about
   2 s), and the harness's CPU time per conversation step (its own process
   and its workers, their start included; not the scripted servers).
   Target at 32: at least 25x.
2. Overhead on the embedded model: two fixture tasks, every role on the
   embedded model, the tasks served in-process. Reported: the share of the
   run's wall time not spent inside model calls (target: at most 3%).

    python bench/bench_run.py [--repeats 3] [--workers 1 2] [--skip-embedded]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from button.embedded.model_server import EmbeddedServer, free_port
from button.llm.client import ModelClient
from button.llm.endpoints import EndpointConfig, Role
from button.validation.taskfile import file_sha256, load_tasks
from harness.run.conversation import LoopSettings
from harness.run.driver import run_tasks
from harness.run.mcp_tools import ToolSource
from harness.run.request import RunRequest
from tests.harness.scripted_openai import (
    Reply,
    ScriptedOpenAI,
    call,
    is_user_request,
    opening,
    say,
    user_turn,
)

TASKS_FILE = REPO / "fixtures" / "tasks.jsonl"
TOOLS_SERVER = REPO / "tests" / "harness" / "tools_server.py"
LATENCY_S = 0.1
LEVELS = {1: 10, 32: 320, 128: 1280, 256: 2560}  # concurrency -> conversations
STEPS = 5  # recorded messages of a conversation, the system prompt aside
TASK_LINE = "What you want done (your whole task): "  # in the user simulator's prompt


def scripted(body: dict[str, Any]) -> Reply:
    if is_user_request(body):
        if opening(body):  # the task's instruction, so the opening states every detail at once
            prompt = body["messages"][0]["content"]
            return user_turn(prompt.split(TASK_LINE, 1)[1].split("\n", 1)[0], stop=False)
        return user_turn("Thanks.", stop=True)
    if not any(m["role"] == "tool" for m in body["messages"]):
        return call(("slow_add", {"a": 2, "b": 3, "delay_s": LATENCY_S}))
    return say("It is 5.")


def serve_scripted() -> None:
    """Child process: the scripted endpoint until stdin closes."""
    with ScriptedOpenAI(scripted, latency_s=LATENCY_S) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


@dataclass(frozen=True)
class Measured:
    rate: float  # conversations per second, over the run's wall time (the workers' start included)
    steady: float  # conversations per second between the first and the last conversation's end
    cpu_ms_per_step: float  # the harness's CPU (its process and its workers) per conversation step


async def throughput(
    base_url: str, tools_url: str, concurrency: int, conversations: int, workers: int
) -> Measured:
    tasks = load_tasks(TASKS_FILE)
    trials = -(-conversations // len(tasks))
    with tempfile.TemporaryDirectory() as out:
        request = RunRequest(
            tasks_file=str(TASKS_FILE),
            tasks_sha256=file_sha256(TASKS_FILE),
            tasks=tasks,
            out=Path(out) / "bench",
            endpoints={
                r: EndpointConfig(r, base_url=base_url, model="scripted") for r in (Role.ASSISTANT, Role.USER)
            },
            settings=LoopSettings(max_turns=4, system_prompt=None),
            tool_source=ToolSource(url=tools_url),
            trials=trials,
            concurrency=concurrency,
            workers=workers,
        )
        before = _cpu_s()
        result = await run_tasks(request)
        cpu = _cpu_s() - before
    assert all(t.status == "completed" for t in result.trajectories), "a scripted conversation failed"
    assert all(len(t.messages) == STEPS for t in result.trajectories), "a conversation of other steps"
    made = len(result.trajectories)
    ends = sorted(t.ended_at for t in result.trajectories)
    steady = (made - 1) / (ends[-1] - ends[0]) if made > 1 and ends[-1] > ends[0] else 0.0
    return Measured(made / result.wall_s, steady, cpu * 1000 / (made * STEPS))


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_throughput(repeats: int, worker_counts: list[int]) -> dict[int, dict[int, Measured]]:
    """Workers -> concurrency -> the median run (by rate) of ``repeats``."""
    scripted_process = subprocess.Popen(
        [sys.executable, __file__, "--serve-scripted"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = free_port()
    tools_process = subprocess.Popen(
        [sys.executable, str(TOOLS_SERVER), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert scripted_process.stdout is not None
        base_url = scripted_process.stdout.readline().strip()
        tools_url = f"http://127.0.0.1:{port}/mcp"
        time.sleep(2.0)  # the MCP server's start-up
        found: dict[int, dict[int, Measured]] = {}
        for workers in worker_counts:
            found[workers] = {}
            for concurrency, conversations in LEVELS.items():
                if workers > concurrency:
                    continue
                runs = sorted(
                    (
                        asyncio.run(throughput(base_url, tools_url, concurrency, conversations, workers))
                        for _ in range(repeats)
                    ),
                    key=lambda m: m.rate,
                )
                median = runs[len(runs) // 2]
                found[workers][concurrency] = median
                print(
                    f"workers {workers}, concurrency {concurrency:>3}: {median.rate:6.2f} conversations/s "
                    f"({median.steady:.2f} steady), {median.cpu_ms_per_step:.2f} ms CPU per step "
                    f"(median of {repeats})",
                    flush=True,
                )
        return found
    finally:
        scripted_process.kill()
        tools_process.terminate()


async def overhead_on_embedded() -> tuple[float, float, int]:
    """(run wall time, time inside model calls, trajectories) with every role on the embedded model."""
    spans: list[tuple[float, float]] = []
    original = ModelClient.create

    async def timed(self: ModelClient, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return await original(self, *args, **kwargs)
        finally:
            spans.append((started, time.monotonic()))

    ModelClient.create = timed  # type: ignore[method-assign]
    ids = ["travel.flight_then_hotel", "finance.two_share_prices_then_split"]
    async with EmbeddedServer() as server:  # started outside the measured run
        with tempfile.TemporaryDirectory() as out:
            request = RunRequest(
                tasks_file=str(TASKS_FILE),
                tasks_sha256=file_sha256(TASKS_FILE),
                tasks=load_tasks(TASKS_FILE, only=ids),
                out=Path(out) / "embedded",
                endpoints={
                    role: EndpointConfig(
                        role, base_url=server.base_url, model=server.model.name, max_tokens=limit
                    )
                    for role, limit in ((Role.ASSISTANT, 96), (Role.USER, 256), (Role.TOOL, 512))
                },
                settings=LoopSettings(max_turns=3),
                concurrency=1,
            )
            result = await run_tasks(request)
    ModelClient.create = original  # type: ignore[method-assign]
    return result.wall_s, _union(spans), len(result.trajectories)


def _union(spans: list[tuple[float, float]]) -> float:
    """Total time covered by possibly overlapping spans (parallel tool calls queue at the server)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], metavar="K")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--serve-scripted", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_scripted:
        serve_scripted()
        return
    found = bench_throughput(args.repeats, sorted({1, *args.workers}))  # 1: the baseline
    base = found[1][1].rate
    report: dict[str, Any] = {"levels": {}}
    for workers, levels in found.items():
        ratios = {c: m.rate / base for c, m in levels.items()}
        print(
            f"workers {workers}, ratios to 1 worker at concurrency 1: "
            + ", ".join(f"{c}: {r:.1f}x" for c, r in ratios.items())
        )
        report["levels"][workers] = {
            c: {
                "per_s": m.rate,
                "steady_per_s": m.steady,
                "ratio": ratios[c],
                "cpu_ms_per_step": m.cpu_ms_per_step,
            }
            for c, m in levels.items()
        }
    if 32 in found.get(1, {}):
        ratio = found[1][32].rate / base
        print(f"target at 32 (1 worker): >= 25x -> {'met' if ratio >= 25 else 'NOT met'}")
    if not args.skip_embedded:
        wall, inside, count = asyncio.run(overhead_on_embedded())
        share = 1 - inside / wall
        print(f"embedded: {count} conversations, {wall:.1f} s wall, {inside:.1f} s in model calls")
        print(f"share of wall time outside model calls: {share:.1%} (target <= 3%)")
        report["embedded"] = {"wall_s": wall, "model_s": inside, "outside_share": share}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
