"""``button synth``'s work dir: locked against a second synth; bad input named, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from button.cli.main import main
from button.errors import ConfigError
from button.storage.manifest import Manifest
from simulator.synthesis.stage_store import Record, StageStore
from tests.conftest import BUTTON


class Seeded(Manifest):
    seed: int


CONFIG = Seeded(seed=0)


def scenarios_file(tmp_path: Path) -> Path:
    path = tmp_path / "scenarios.txt"
    path.write_text("A teacher in Oslo plans a school trip and books a bus for the class.\n")
    return path


def test_a_second_synth_on_the_same_work_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    store = StageStore(tmp_path / "tasks.jsonl.work", CONFIG)
    try:
        other = subprocess.run(
            [BUTTON, "synth", "--scenarios", str(scenarios_file(tmp_path)), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.returncode == 2, other.stderr
        assert (
            f"error: {tmp_path / 'tasks.jsonl.work'}: another button synth is using this directory "
            f"(pid {os.getpid()})" in other.stderr
        )
        with pytest.raises(ConfigError, match="another button synth"):  # a second open file is refused too
            StageStore(tmp_path / "tasks.jsonl.work", CONFIG)
    finally:
        store.close()
    again = StageStore(tmp_path / "tasks.jsonl.work", CONFIG)  # closed: the lock is free
    again.close()


async def test_force_new_keeps_the_lock_and_clears_the_work(tmp_path: Path) -> None:
    work = tmp_path / "t.work"
    store = StageStore(work, CONFIG)
    await store.log("scenarios").append(Record(key="sc0"))
    store.close()
    store = StageStore(work, CONFIG, force_new=True)
    try:
        assert sorted(p.name for p in work.iterdir()) == [".lock", "manifest.json"]
        with pytest.raises(ConfigError, match="another button synth"):
            StageStore(work, CONFIG)
    finally:
        store.close()


def test_undecodable_scenarios_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Un étudiant à Málaga compare deux appartements.\n".encode("latin-1"))
    assert main(["synth", "--scenarios", str(bad), "--out", str(tmp_path / "t.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: cannot read: 'utf-8' codec can't decode" in err and "Traceback" not in err


@pytest.mark.parametrize("manifest", ["{not json", "[1, 2]", "\udcff"])
def test_a_corrupt_work_manifest_is_named(
    manifest: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "t.jsonl.work"
    work.mkdir()
    (work / "manifest.json").write_text(manifest, encoding="utf-8", errors="surrogateescape")
    args = ["synth", "--scenarios", str(scenarios_file(tmp_path)), "--out", str(tmp_path / "t.jsonl")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"error: {work / 'manifest.json'}: " in err and "--force-new" in err and "Traceback" not in err
