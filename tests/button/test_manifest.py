"""The typed manifests of ``button run`` and ``button synth`` and their one change check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from button.cli.main import main
from button.data_model.task import Strategy
from button.errors import RunFileError
from button.llm.endpoints import EndpointConfig, Role
from button.storage.manifest import read_manifest
from harness.run.run_dir import RunDir, RunManifest, RunOptions, RunSettings
from simulator.synthesis.pipeline import SynthConfig
from tests.conftest import FIXTURES


def run_manifest(**settings: object) -> RunManifest:
    base = {"max_turns": 10, "tool_choice": "auto", "tools": {"served": "in-process"}}
    endpoint = EndpointConfig(Role.ASSISTANT, base_url="http://127.0.0.1:9/v1", model="m").public()
    return RunManifest(
        tasks_file="tasks.jsonl",
        tasks_sha256="a" * 64,
        settings=RunSettings.model_validate({**base, "endpoints": {"assistant": endpoint}, **settings}),
    )


def recorded(manifest: RunManifest) -> dict[str, Any]:
    """The manifest as its file holds it."""
    value: dict[str, Any] = json.loads(manifest.model_dump_json())
    return value


def test_the_first_changed_setting_is_named_nested_keys_too() -> None:
    old = recorded(run_manifest())
    assert run_manifest().changed_from(old) is None
    assert run_manifest(max_turns=3).changed_from(old) == "settings.max_turns: 10 -> 3"
    other = EndpointConfig(Role.ASSISTANT, base_url="http://127.0.0.1:9/v1", model="other").public()
    assert run_manifest(endpoints={"assistant": other}).changed_from(old) == (
        'settings.endpoints.assistant.model: "m" -> "other"'
    )
    # the task file is checked first and named by what changed, not by two digests
    other_tasks = run_manifest(max_turns=3).model_copy(update={"tasks_sha256": "b" * 64})
    assert other_tasks.changed_from(old) == "tasks_sha256: contents changed"


def test_options_and_times_may_change_between_reruns() -> None:
    old = recorded(run_manifest())
    rerun = run_manifest().model_copy(
        update={"created_at": 5.0, "run_id": "elsewhere", "options": RunOptions(trials=4)}
    )
    assert rerun.changed_from(old) is None


def test_an_older_manifest_without_a_setting_matches_a_setting_left_unset() -> None:
    old = recorded(run_manifest())
    del old["settings"]["system_prompt"]
    assert run_manifest().changed_from(old) is None
    assert (
        run_manifest(system_prompt="be brief").changed_from(old)
        == 'settings.system_prompt: null -> "be brief"'
    )


def test_synth_names_the_changed_setting_of_its_own_manifest(tmp_path: Path) -> None:
    endpoint = EndpointConfig(Role.SYNTH, base_url="http://127.0.0.1:9/v1", model="m")
    config = SynthConfig(out=tmp_path / "t.jsonl", endpoint=endpoint, n_scenarios=2)
    old = json.loads(config.manifest().model_dump_json())
    assert old["strategies"] == ["sequential", "parallel-then-sequential"]
    changed = SynthConfig(
        out=tmp_path / "t.jsonl", endpoint=endpoint, n_scenarios=2, strategies=(Strategy.SEQUENTIAL,)
    )
    assert changed.manifest().changed_from(old) == (
        'strategies: ["sequential", "parallel-then-sequential"] -> ["sequential"]'
    )


def test_a_run_resumed_with_a_manifest_written_by_hand_keeps_its_created_at(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    with run.locked():
        run.prepare(run_manifest().model_copy(update={"created_at": 100.0}))
        run.prepare(run_manifest().model_copy(update={"created_at": 200.0}))
    assert read_manifest(run.manifest_path, RunManifest).created_at == 100.0


def test_every_committed_run_manifest_reads_as_the_model() -> None:
    for path in sorted(FIXTURES.rglob("manifest.json")):
        manifest = read_manifest(path, RunManifest)
        assert manifest.tasks_file and manifest.tasks_sha256, path


def test_a_manifest_field_of_the_wrong_type_is_named_where_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(FIXTURES / "scoring", run)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tasks_file"] = 7
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RunFileError, match="tasks_file: Input should be a valid string"):
        read_manifest(run / "manifest.json", RunManifest)
    assert main(["score", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"error: {run / 'manifest.json'}: tasks_file: Input should be a valid string" in err
