"""Loading a large task file: ``load_tasks`` on N copies of the fixture tasks (distinct ids).

Reports wall time and peak resident memory of a child process that loads the
file, as every command that reads tasks does (shape, schema checks, plan rules).
Target: 20,000 tasks in under 20 s.

    python bench/bench_load_tasks.py [--tasks 20000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "tasks.jsonl"
CHILD = """
import resource, sys, time
from button.validation.taskfile import load_tasks
started = time.perf_counter()
tasks = load_tasks(sys.argv[1])
print(len(tasks), time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make_file(folder: Path, count: int) -> Path:
    base = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = folder / "tasks.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            task = dict(base[number % len(base)])
            task["id"] = f"{task['id']}_{number}"
            out.write(json.dumps(task) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        path = make_file(Path(temp), args.tasks)
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - started
    count, load_s, peak_mb = child.stdout.split()
    print(
        f"{count} tasks: load_tasks {float(load_s):.1f} s, process {wall:.1f} s, peak {float(peak_mb):.0f} MB"
    )


if __name__ == "__main__":
    main()
