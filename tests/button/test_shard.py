"""``--shard``: the partition, and ``auto`` read from Slurm's and Kubernetes' environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from button.errors import ConfigError
from button.shard import WHOLE, Shard, parse_shard
from tests.conftest import TASKS_FILE

PAIRS = [(f"task.{n}", trial) for n in range(200) for trial in range(5)]


def test_shards_partition_the_work_exactly_and_workers_split_a_shard_exactly() -> None:
    shards = [Shard(index, 3) for index in range(3)]
    owners = [[shard for shard in shards if shard.owns(*pair)] for pair in PAIRS]
    assert all(len(found) == 1 for found in owners)  # every pair in exactly one shard
    sizes = [sum(shard.owns(*pair) for pair in PAIRS) for shard in shards]
    assert min(sizes) > 0.9 * len(PAIRS) / 3  # near even
    one = Shard(1, 3)
    workers = [one.split(worker, 2) for worker in range(2)]
    mine = {pair for pair in PAIRS if one.owns(*pair)}
    split = [{pair for pair in PAIRS if worker.owns(*pair)} for worker in workers]
    assert split[0] | split[1] == mine and not split[0] & split[1]
    # a task's trials go round the shards in turn, whatever other tasks exist
    assert [next(s.index for s in shards if s.owns("task.7", trial)) for trial in range(3)] in (
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
    )
    assert all(WHOLE.owns(*pair) for pair in PAIRS)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        (None, {}, WHOLE),
        ("2/8", {}, Shard(2, 8)),
        ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard(3, 4)),
        (  # --array=1-4
            "auto",
            {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"},
            Shard(3, 4),
        ),
        (  # --array=0-6:2
            "auto",
            {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"},
            Shard(2, 4),
        ),
        ("auto/6", {"JOB_COMPLETION_INDEX": "5"}, Shard(5, 6)),
        ("auto", {"JOB_COMPLETION_INDEX": "0", "BUTTON_SHARD_COUNT": "2"}, Shard(0, 2)),
    ],
)
def test_shard_values(text: str | None, env: dict[str, str], expected: Shard) -> None:
    assert parse_shard(text, env) == expected


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("auto", {}, "auto needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX"),
        ("auto", {"JOB_COMPLETION_INDEX": "1"}, "give --shard auto/N or BUTTON_SHARD_COUNT"),
        ("auto/2", {"JOB_COMPLETION_INDEX": "2"}, "JOB_COMPLETION_INDEX 2 gives shard 2 of 2"),
        ("auto", {"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, "is not a whole number"),
        ("3/3", {}, "the index must be from 0 to N-1"),
        ("1-3", {}, "is not I/N"),
    ],
)
def test_bad_shards_are_one_line_errors(text: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_shard(text, env)
    assert raised.value.where == "--shard" and message in raised.value.what


def test_auto_without_a_scheduler_is_one_line_on_the_command_line() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "button.cli.main",
            "run",
            str(TASKS_FILE),
            "--out",
            "unused",
            "--shard",
            "auto",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --shard: auto needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX "
        "(a Kubernetes Indexed Job); neither is set"
    ]
