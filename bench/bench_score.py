"""Scoring throughput and memory at scale, and the best-assignment matcher on its
adversarial case.

1. Throughput: the hand-built trajectories of fixtures/scoring/ replicated (with
   distinct ids) to about --lines trajectories, scored as ``button score`` does
   (``score_run``: every metric, scores.jsonl written, no judge). Reported:
   the median over --repeats of milliseconds per trajectory, for the pure
   scoring and for the whole pass with reading and writing the files.
2. Scale: ``button score RUN --json --show all`` on runs of --scale trajectories
   (default 100,000 and, for comparison, 1,000), each in its own subprocess:
   wall time and peak resident memory (``ru_maxrss`` of the child, the whole
   process: interpreter, libraries, tasks, summaries). The run spreads the
   fixture trajectories over copies of the fixture tasks (--trials trials of
   each copy), so there are thousands of tasks and pass@k is computed.
   Target: at most 300 MB peak for 100,000 trajectories.
3. Matcher: a plan of N calls to one function and 2N actual calls of it, none
   of which matches fully (each agrees on argument ``a`` of one plan call and
   never on ``b``): the case where an optimistic bound never prunes and the
   search runs to its node budget. ``b`` is a literal, a ``from`` reference,
   or a ``computed_from`` (which fails because the calls share one message);
   in each, ``matching.best_possible`` sees that no call can match. Reported per N:
   the median milliseconds of ``assign``, the nodes visited, and whether
   every plan call got its agreeing call.

    python bench/bench_score.py [--lines 1000] [--repeats 5] [--scale 100000 --scale 1000] [--trials 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from button.data_model.task import Task  # noqa: E402
from button.data_model.trajectory import Trajectory, TrajectoryStatus  # noqa: E402
from button.storage.records import read_records  # noqa: E402
from harness.run.run_dir import locate_run  # noqa: E402
from harness.score import matching  # noqa: E402
from harness.score.calls import actual_calls  # noqa: E402
from harness.score.metrics import score_trajectory  # noqa: E402
from harness.score.score_run import TaskSet, score_run  # noqa: E402

FIXTURE = REPO / "fixtures" / "scoring"


def make_run(folder: Path, lines: int) -> Path:
    """A run directory of ``lines`` trajectories built from the fixture's."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    manifest["tasks_file"] = str(FIXTURE / manifest["tasks_file"])
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    samples = (FIXTURE / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
    with (folder / "trajectories.jsonl").open("w", encoding="utf-8") as out:
        for number in range(lines):
            record = json.loads(samples[number % len(samples)])
            record["id"] = f"{record['id']}~{number}"
            out.write(json.dumps(record) + "\n")
    return folder


def median_ms(action: Any, repeats: int, per: int = 1) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000 / per)
    return statistics.median(times)


def throughput(lines: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        run = locate_run(make_run(Path(temp) / "run", lines))
        tasks = TaskSet.load(FIXTURE / "tasks.jsonl")
        samples = read_records(FIXTURE / "trajectories.jsonl", Trajectory)

        def pure() -> None:
            for number in range(lines):
                trajectory = samples[number % len(samples)]
                score_trajectory(trajectory, tasks.by_id[trajectory.task_id])

        def whole() -> None:
            asyncio.run(score_run(run, tasks))

        print(
            f"throughput: {lines} trajectories (fixtures/scoring x {lines // len(samples)}), median of {repeats}"
        )
        print(f"  score_trajectory only:             {median_ms(pure, repeats, lines):.3f} ms/trajectory")
        print(f"  whole pass (read, score, write):   {median_ms(whole, repeats, lines):.3f} ms/trajectory")


def make_scaled_run(folder: Path, lines: int, trials: int) -> tuple[Path, int]:
    """``lines`` trajectories over copies of the fixture tasks, ``trials`` of each sample per copy.

    Trajectory ``m`` is fixture sample ``m % S`` on copy ``c`` of its task (``<id>.copy<c>``), trial ``t``
    (``m // S == c * trials + t``). Returns the trajectories file and the number of tasks."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = [json.loads(line) for line in (FIXTURE / "trajectories.jsonl").read_text().splitlines()]
    tasks = [json.loads(line) for line in (FIXTURE / "tasks.jsonl").read_text().splitlines() if line.strip()]
    copies = -(-lines // (len(samples) * trials))
    with (folder / "tasks.jsonl").open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for task in tasks:
                out.write(json.dumps({**task, "id": f"{task['id']}.copy{copy}"}) + "\n")
    with (folder / "trajectories.jsonl").open("w", encoding="utf-8") as out:
        for number in range(lines):
            record = dict(samples[number % len(samples)])
            copy, trial = divmod(number // len(samples), trials)
            record["task_id"] = f"{record['task_id']}.copy{copy}"
            record["id"] = f"{record['id']}~{copy}#{trial}"
            record["trial"] = trial
            out.write(json.dumps(record) + "\n")
    return folder / "trajectories.jsonl", copies * len(tasks)


CHILD = """
import resource, sys, time
from button.cli.main import main
start = time.perf_counter()
code = main(sys.argv[1:])
elapsed = time.perf_counter() - start
print(f"BENCH {code} {elapsed:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def scale(sizes: list[int], trials: int) -> None:
    """``button score`` on runs of each size in a fresh process: wall time and peak RSS."""
    print(f"scale: button score RUN --json --show all, each in a subprocess ({trials} trials per task)")
    for lines in sizes:
        with tempfile.TemporaryDirectory() as temp:
            trajectories, tasks = make_scaled_run(Path(temp), lines, trials)
            size_mb = trajectories.stat().st_size / 2**20
            command = ["score", str(trajectories), "--tasks", str(Path(temp) / "tasks.jsonl")]
            command += ["--json", "--show", "all"]
            start = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", CHILD, *command],
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            bench = [line for line in result.stderr.splitlines() if line.startswith("BENCH ")]
            if result.returncode != 0 or not bench:
                print(f"  {lines:>7,} trajectories: FAILED\n{result.stderr[-2000:]}")
                continue
            _, code, scoring_s, maxrss_kb = bench[-1].split()
            if code != "0":
                print(f"  {lines:>7,} trajectories: exit {code}\n{result.stderr[-2000:]}")
                continue
            report = json.loads(result.stdout)
            assert report["scored"] == lines and len(report["trajectories"]) == lines, "incomplete report"
            print(
                f"  {lines:>7,} trajectories ({size_mb:,.0f} MB, {tasks:,} tasks): exit {code}, "
                f"{float(scoring_s):.1f} s in main ({wall:.1f} s with start-up), "
                f"{lines / float(scoring_s):,.0f} trajectories/s, peak RSS {int(maxrss_kb) / 1024:.0f} MB"
            )


B_KINDS: dict[str, Any] = {
    "a literal": 0,
    "a from reference": {"from": "c0.b"},
    "computed_from": {"computed_from": ["c0.b"]},
}


def adversarial(size: int, b: Any) -> tuple[Task, Trajectory]:
    """N plan calls lookup(a=i, b=B); 2N actual calls lookup(a=i or -i-1, b=1), all in one message."""
    function = {"name": "lookup", "parameters": {"type": "object"}}
    plan = [[{"id": "c0", "name": "lookup", "arguments": {"a": 0, "b": 0}}]]
    plan += [[{"id": f"c{i}", "name": "lookup", "arguments": {"a": i, "b": b}} for i in range(1, size)]]
    task = Task.model_validate(
        {
            "id": "adversarial",
            "strategy": "single",
            "scenario": "s",
            "instruction": "i",
            "functions": [{"type": "function", "function": function}],
            "plan": plan,
        }
    )
    values = [value for i in range(size) for value in (-i - 1, i)]
    calls = [
        {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": "lookup", "arguments": json.dumps({"a": a, "b": 1})},
        }
        for n, a in enumerate(values)
    ]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        *({"role": "tool", "tool_call_id": c["id"], "content": '{"b": 0}'} for c in calls),
        {"role": "assistant", "content": "done"},
    ]
    trajectory = Trajectory(
        id="adversarial#0",
        task_id="adversarial",
        run_id="bench",
        messages=messages,
        status=TrajectoryStatus.COMPLETED,
        started_at=0,
        ended_at=1,
    )
    return task, trajectory


def matcher(repeats: int) -> None:
    print(f"matcher: N plan calls of one function, 2N calls made, no full match; median of {repeats}")
    print(f"  node budget {matching.SEARCH_BUDGET:,}")
    for kind, b in B_KINDS.items():
        print(f"  b is {kind}:")
        for size in (2, 4, 8, 16, 32):
            task, trajectory = adversarial(size, b)
            calls = actual_calls(trajectory)
            found: list[matching.Assignment] = []
            elapsed = median_ms(partial(_assign_into, found, task, calls), repeats)
            best = found[-1]
            agreeing = all(pair.disagreeing == ("b",) for pair in best.pairs.values())
            print(
                f"    N={size:2d}: {elapsed:9.2f} ms, {best.nodes:6,} nodes"
                f"{' (budget hit)' if best.nodes > matching.SEARCH_BUDGET else ''}, "
                f"best pairing {'found' if agreeing and len(best.pairs) == size else 'NOT found'}"
            )


def _assign_into(found: list[matching.Assignment], task: Task, calls: list[Any]) -> None:
    found.append(matching.assign(task, calls))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", type=int, action="append", help="trajectories (repeatable)")
    parser.add_argument("--trials", type=int, default=4)
    args = parser.parse_args()
    sizes = args.scale or [1000, 100_000]
    print(
        f"$ python bench/bench_score.py --lines {args.lines} --repeats {args.repeats} "
        f"{' '.join(f'--scale {n}' for n in sizes)} --trials {args.trials}"
    )
    throughput(args.lines, args.repeats)
    scale(sizes, args.trials)
    matcher(args.repeats)


if __name__ == "__main__":
    main()
