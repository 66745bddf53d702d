# ruff: noqa: E402  (the repository root goes on sys.path before the imports)
"""Soak of ``button serve``: its memory stays flat over many calls with large arguments.

``button serve fixtures/tasks.jsonl --transport http`` runs as a subprocess with
its simulator cache in a temporary folder; the tool model is a scripted
OpenAI-compatible endpoint that answers at once. ``--concurrency`` MCP clients
call ``search_hotels`` ``--calls`` times in all, each call with a ``city`` of
``--argument-kb`` KB that no other call repeats (so every call is simulated
and remembered), ``--per-episode`` calls per episode (named in ``_meta``).

Reported: the resident memory (VmRSS) of the server process when it is ready,
then every ``--every`` calls, and at the end; the ratio of the end to the first
sample after the calls began, to the sample half way (flat: 1.00), and to the
start. The episode store fills its byte budget in the first few thousand calls
(README, "Limits"); after that the memory must not move.

    python bench/bench_serve_soak.py [--calls 20000] [--argument-kb 100] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fastmcp import Client

from button.embedded.model_server import free_port
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, say

TASKS_FILE = REPO / "fixtures" / "tasks.jsonl"
TASK = "travel.flight_then_hotel"
HOTEL = {"hotel_id": "H-1", "name": "Soak Inn", "price_per_night_usd": 120, "total_price_usd": 240}


def hotel(body: dict[str, Any]) -> Reply:
    return say(json.dumps(HOTEL))


def rss_mb(pid: int) -> float:
    """The resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def caller(
    url: str, numbers: asyncio.Queue[int], filler: str, per_episode: int, done: list[int]
) -> None:
    async with Client(url, timeout=120) as client:
        while not numbers.empty():
            number = numbers.get_nowait()
            arguments = {"city": f"{number} {filler}", "check_in": "2026-12-08", "nights": 2}
            meta = {"episode_id": f"soak-{number // per_episode}"}
            result = await client.call_tool_mcp("search_hotels", arguments, meta=meta)
            if result.is_error:
                raise RuntimeError(f"call {number} failed: {result.content}")
            done.append(number)


async def soak(args: argparse.Namespace, url: str, pid: int) -> list[tuple[int, float]]:
    numbers: asyncio.Queue[int] = asyncio.Queue()
    for number in range(args.calls):
        numbers.put_nowait(number)
    filler = "x" * (args.argument_kb * 1024)
    done: list[int] = []
    samples = [(0, rss_mb(pid))]
    callers = [
        asyncio.create_task(caller(url, numbers, filler, args.per_episode, done))
        for _ in range(args.concurrency)
    ]
    started = time.monotonic()
    next_sample = args.every
    while not all(task.done() for task in callers):
        await asyncio.sleep(0.5)
        if len(done) >= next_sample:
            samples.append((len(done), rss_mb(pid)))
            rate = len(done) / (time.monotonic() - started)
            print(f"  {len(done):>6} calls  {samples[-1][1]:7.1f} MB  ({rate:.0f} calls/s)", flush=True)
            next_sample += args.every
    for task in callers:
        task.result()  # a failed caller fails the benchmark
    samples.append((len(done), rss_mb(pid)))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--argument-kb", type=int, default=100, help="size of each call's arguments (KB)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--per-episode", type=int, default=20, help="calls per episode")
    parser.add_argument("--every", type=int, default=2000, help="calls between samples")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as folder, ScriptedOpenAI(hotel) as model:
        env = {**os.environ, **model.env("tool"), "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "button.cli.main", "serve", str(TASKS_FILE), "--transport", "http"]
        command += ["--port", str(port), "--cache", str(Path(folder) / "cache.sqlite")]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()  # "serving N task(s)...": it listens
            url = f"http://127.0.0.1:{port}/tasks/{TASK}/mcp"
            print(f"{args.calls} calls of {args.argument_kb} KB, {args.concurrency} clients, "
                  f"{args.per_episode} calls per episode; server RSS:")  # fmt: skip
            samples = asyncio.run(soak(args, url, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    (_, start), (first_calls, first), (calls, end) = samples[0], samples[1], samples[-1]
    half_calls, half = min(samples, key=lambda sample: abs(sample[0] - calls / 2))
    print(f"start {start:.1f} MB; after {first_calls} calls {first:.1f} MB; after {calls} calls {end:.1f} MB")
    print(f"end / after {first_calls} calls = {end / first:.2f}; end / after {half_calls} calls (the second "
          f"half) = {end / half:.2f}; end / start = {end / start:.2f}; peak {max(rss for _, rss in samples):.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
