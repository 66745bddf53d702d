"""Opening a 10,000-trajectory run in the replay app: time to first screen and peak memory.

The run is generated from the sample run's trajectories (renamed, so every id is
distinct; about 4 KB a line). Each measurement runs in a fresh process: the app
is built with the same factory as ``button replay`` and run headless until its
first screen is drawn. Reported: medians over the runs, and the ratio to opening
the 6-line sample run (a ratio near 1 means the file's size hardly matters).
Also timed: the one-off full pass that sorting and filtering need.

    python bench/bench_replay.py [--lines 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "fixtures" / "runs" / "sample"


def make_run(folder: Path, lines: int) -> Path:
    """A run directory of ``lines`` trajectories (and their scores) built from the sample's."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "manifest.json", folder / "manifest.json")
    manifest = json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))
    manifest["tasks_file"] = str(REPO / manifest["tasks_file"])
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    samples = [
        json.loads(line) for line in (SAMPLE / "trajectories.jsonl").read_text().splitlines() if _ok(line)
    ]
    scores = {
        score["trajectory_id"]: score
        for score in map(json.loads, (SAMPLE / "scores.jsonl").read_text().splitlines())
    }
    with (folder / "trajectories.jsonl").open("w") as out, (folder / "scores.jsonl").open("w") as out_scores:
        for number in range(lines):
            record = dict(samples[number % len(samples)])
            score = dict(scores[record["id"]])
            record["trial"] = number // len(samples)
            record["id"] = score["trajectory_id"] = f"{record['task_id']}#{record['trial']}"
            out.write(json.dumps(record) + "\n")
            out_scores.write(json.dumps(score) + "\n")
    return folder


def _ok(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


async def first_screen(path: Path) -> float:
    """Seconds from nothing to the list drawn, headless."""
    from tui.app import make_app
    from tui.widgets.trajectory_table import TrajectoryTable

    start = time.perf_counter()
    app = make_app(path)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(TrajectoryTable).rows
        return time.perf_counter() - start


def one(kind: str, path: Path) -> float:
    """One measurement, in this (fresh) process."""
    if kind == "time":
        return asyncio.run(first_screen(path))
    if kind == "memory":
        tracemalloc.start()
        asyncio.run(first_screen(path))
        return tracemalloc.get_traced_memory()[1] / 2**20
    from tui.open_run import open_run

    index = open_run(path).index
    start = time.perf_counter()
    index.summarize_all()
    return time.perf_counter() - start


def median_of(kind: str, path: Path, runs: int) -> float:
    values = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, __file__, "--one", kind, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        values.append(float(result.stdout.strip()))
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(one(args.one[0], Path(args.one[1])))
        return
    with tempfile.TemporaryDirectory() as temp:
        big = make_run(Path(temp) / "big", args.lines)
        size_mb = (big / "trajectories.jsonl").stat().st_size / 2**20
        print(
            f"replay: {args.lines} trajectories ({size_mb:.1f} MiB) vs the 6-line sample; medians of {args.runs}"
        )
        for kind, unit, label in [
            ("time", "s", "time to first screen"),
            ("memory", "MiB", "peak Python memory to first screen"),
        ]:
            large, small = median_of(kind, big, args.runs), median_of(kind, SAMPLE, args.runs)
            print(f"  {label}: {large:.3f} {unit} (sample {small:.3f} {unit}, ratio {large / small:.2f})")
        full = median_of("summarize", big, args.runs)
        print(f"  full pass for sort/filter (once, in a worker thread): {full:.2f} s")


if __name__ == "__main__":
    main()
