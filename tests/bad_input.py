"""What every bad-input case asserts: one ``error: WHERE: WHAT`` line, its exit code, no
traceback, and nothing on disk changed (the bad-input suite: tests/button/test_bad_input.py,
tests/harness/test_bad_run_dirs.py, tests/mcp_servers/test_bad_arguments.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from button.cli.main import main
from button.storage.locks import LOCK_FILE

PROGRESS = ("conversations ", "scoring ", "exporting ")  # bars drawn once when stderr is no terminal


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (directories by name), but for lock files:
    each command that takes a directory's lock writes its pid there."""
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else b"<dir>"
        for path in sorted(folder.rglob("*"))
        if not (path.name == LOCK_FILE and path.is_file())
    }


def run_cli(args: list[str]) -> int:
    """``button ARGS`` in this process; a usage error's ``SystemExit`` is its exit code."""
    try:
        return main(args)
    except SystemExit as stop:
        assert isinstance(stop.code, int)
        return stop.code


def assert_one_error_line(
    args: list[str], code: int, expected: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run ``button ARGS``: exit ``code``, one ``error:`` line holding ``expected``, no traceback,
    and every file under ``folder`` as it was."""
    before = snapshot(folder)
    assert run_cli(args) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(PROGRESS)]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: ") and ": " in line.removeprefix("error: "), line
    assert expected in line, line
    after = snapshot(folder)
    assert after == before, (
        f"the failed command changed {sorted(set(after.items()) ^ set(before.items()))[:1]}"
    )
    return line
