"""``button synth --shard I/N`` in separate processes, joined by ``button merge``, writes the
task file one ``button synth`` writes (the scripted synth model of test_synth_scripted)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import BUTTON
from tests.simulator.test_synth_scripted import ScriptedModel, synth_args

SHARDS = 3


def button(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BUTTON, *map(str, args)], capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )


def test_synth_shards_merge_into_the_task_file_of_one_synthesis(
    tmp_path: Path, scripted: ScriptedModel
) -> None:
    whole = button(*synth_args(tmp_path, scripted.url, "whole.jsonl"))
    assert whole.returncode == 0, whole.stderr
    shards = [
        subprocess.Popen(
            [
                BUTTON,
                *synth_args(tmp_path, scripted.url, f"part-{index}.jsonl"),
                "--shard",
                f"{index}/{SHARDS}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(SHARDS)
    ]
    for process in shards:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    parts = [tmp_path / f"part-{index}.jsonl" for index in range(SHARDS)]

    merged = button("merge", *parts, "--out", tmp_path / "merged.jsonl")
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "merged.jsonl").read_text() == (tmp_path / "whole.jsonl").read_text()
    assert (tmp_path / "whole.jsonl").read_text().count("\n") == 2

    gap = button("merge", parts[0], parts[2], "--out", tmp_path / "gap.jsonl")
    assert gap.returncode == 1 and gap.stderr.splitlines() == [
        f"error: {tmp_path / 'gap.jsonl'}: no output of shard 1/3 (--allow-missing accepts the gap)"
    ]
    seeded = button(*synth_args(tmp_path, scripted.url, "seeded.jsonl"), "--shard", "1/3", "--seed", "5")
    assert seeded.returncode == 0, seeded.stderr
    refused = button("merge", parts[0], tmp_path / "seeded.jsonl", "--out", tmp_path / "mixed.jsonl")
    assert refused.returncode == 2 and refused.stderr.splitlines() == [
        f"error: {tmp_path / 'seeded.jsonl'}: not a shard of the same synthesis as {parts[0]} (seed: 0 -> 5)"
    ]
