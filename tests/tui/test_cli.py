from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def button(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "button.cli.main", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_a_missing_path_is_one_error_line(tmp_path: Path) -> None:
    result = button("replay", str(tmp_path / "runs" / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'runs' / 'nope'}: no such file or directory"
    ]
    assert result.stdout == ""


def test_help_has_an_example() -> None:
    result = button("replay", "--help")
    assert result.returncode == 0
    assert "button replay fixtures/runs/sample" in result.stdout and "--task ID" in result.stdout
