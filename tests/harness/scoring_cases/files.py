"""The plain data files of fixtures/scoring/cases/, made from the cases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.conftest import FIXTURES
from tests.harness.scoring_cases import parallel, sequential
from tests.harness.scoring_cases.build import RUN_ID, Registry, expected_record, trajectory
from tests.harness.scoring_cases.tasks import all_tasks, tools_of

CASES = FIXTURES / "scoring" / "cases"


def registry() -> Registry:
    reg = Registry()
    sequential.register(reg)
    parallel.register(reg)
    return reg


def contents() -> dict[str, str]:
    """File name -> text, exactly as committed."""
    tasks = {task["id"]: task for task in all_tasks()}
    cases = registry().cases
    tasks_text = "".join(json.dumps(task, ensure_ascii=False) + "\n" for task in tasks.values())
    trajectories = "".join(
        trajectory(case, tools_of(tasks[case.task_id])).model_dump_json(exclude_none=True) + "\n"
        for case in cases
    )
    expected = "".join(json.dumps(expected_record(case), ensure_ascii=False) + "\n" for case in cases)
    manifest = {
        "run_id": RUN_ID,
        "tasks_file": "tasks.jsonl",
        "tasks_sha256": hashlib.sha256(tasks_text.encode("utf-8")).hexdigest(),
    }
    return {
        "tasks.jsonl": tasks_text,
        "trajectories.jsonl": trajectories,
        "expected.jsonl": expected,
        "manifest.json": json.dumps(manifest, indent=2) + "\n",
    }


def write_files(folder: Path = CASES) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in contents().items():
        (folder / name).write_text(text, encoding="utf-8")
    return len(registry().cases)
