"""The cluster examples in docs/ work as written: the Slurm scripts are valid bash whose
``button`` commands parse with button's own parser and give each array task its own shard, and
the Kubernetes manifests are valid YAML whose Indexed Job does the same."""

from __future__ import annotations

import argparse
import fnmatch
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml

from button.cli.main import build_parser
from button.shard import Shard, parse_shard
from tests.conftest import REPO

SLURM = REPO / "docs" / "slurm"
KUBERNETES = REPO / "docs" / "kubernetes"


def button_commands(script: str) -> list[list[str]]:
    """The ``button`` commands of a shell script or ``sh -c`` string, as words."""
    joined = script.replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in joined.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words and words[0] == "button":
                commands.append(words[1:])
    return commands


def parsed(words: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(words)


def by_command(commands: list[list[str]]) -> dict[str, argparse.Namespace]:
    found = [parsed(words) for words in commands]
    return {args.command: args for args in found}


def test_the_slurm_scripts_run_one_shard_per_array_task_and_merge_them() -> None:
    for name in ("run_shards.sbatch", "merge.sbatch", "submit.sh"):
        check = subprocess.run(["bash", "-n", str(SLURM / name)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    shards = (SLURM / "run_shards.sbatch").read_text()
    low, high = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)$", shards, re.MULTILINE).groups())  # type: ignore[union-attr]
    commands = by_command(button_commands(shards))
    run, score = commands["run"], commands["score"]
    assert run.shard == "auto" and run.out == Path("$RUNS/shard-$SLURM_ARRAY_TASK_ID")
    assert Path(score.run) == run.out
    count = high - low + 1
    for task_id in range(low, high + 1):
        env = {"SLURM_ARRAY_TASK_ID": str(task_id), "SLURM_ARRAY_TASK_COUNT": str(count)}
        env["SLURM_ARRAY_TASK_MIN"] = str(low)
        assert parse_shard(run.shard, env) == Shard(task_id - low, count)

    merge = by_command(button_commands((SLURM / "merge.sbatch").read_text()))["merge"]
    outs = [str(run.out).replace("$SLURM_ARRAY_TASK_ID", str(i)) for i in range(low, high + 1)]
    (pattern,) = merge.shards
    assert all(fnmatch.fnmatch(out, str(pattern)) for out in outs)
    assert not fnmatch.fnmatch(str(merge.out), str(pattern))  # the merged run is no shard
    submitted = [
        shlex.split(line) for line in (SLURM / "submit.sh").read_text().splitlines() if "sbatch " in line
    ]
    assert submitted[0][-1].endswith("/run_shards.sbatch)")  # the array first, then the merge after it
    assert submitted[1][1].startswith("--dependency=afterok:") and submitted[1][-1].endswith("/merge.sbatch")


def container(document: dict[str, Any]) -> dict[str, Any]:
    (only,) = document["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def test_the_kubernetes_indexed_job_runs_one_shard_per_index_and_the_merge_job_joins_them() -> None:
    (job,) = yaml.safe_load_all((KUBERNETES / "button-shards.yaml").read_text())
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    shard_env = container(job)["env"]
    count = int(next(item["value"] for item in shard_env if item["name"] == "BUTTON_SHARD_COUNT"))
    assert spec["completions"] == count
    (script,) = container(job)["args"]
    commands = by_command(button_commands(script))
    run, score = commands["run"], commands["score"]
    assert run.shard == "auto" and Path(score.run) == run.out
    for index in range(count):
        env = {"JOB_COMPLETION_INDEX": str(index), "BUTTON_SHARD_COUNT": str(count)}
        assert parse_shard(run.shard, env) == Shard(index, count)
    roles = {item["name"] for item in shard_env}
    assert {f"BUTTON_{role}_BASE_URL" for role in ("ASSISTANT", "USER", "TOOL")} <= roles

    (merge_job,) = yaml.safe_load_all((KUBERNETES / "button-merge.yaml").read_text())
    assert merge_job["kind"] == "Job"
    (merge_script,) = container(merge_job)["args"]
    merge = by_command(button_commands(merge_script))["merge"]
    (pattern,) = merge.shards
    outs = [str(run.out).replace("${JOB_COMPLETION_INDEX}", str(i)) for i in range(count)]
    assert all(fnmatch.fnmatch(out, str(pattern)) for out in outs)
    claims = {
        volume["persistentVolumeClaim"]["claimName"]
        for document in (job, merge_job)
        for volume in document["spec"]["template"]["spec"]["volumes"]
    }
    assert len(claims) == 1  # the shards and the merge see one volume
