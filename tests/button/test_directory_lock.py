"""The output directory's lock names the process that holds it.

A second command can ask for the lock in the instant after the first took it and
before it wrote its pid (seen once in CI as "pid unknown"): it waits that instant.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from button.errors import ConfigError
from button.storage.locks import LOCK_FILE, directory_lock


def test_a_second_command_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with (
        directory_lock(tmp_path, "button run"),
        pytest.raises(ConfigError) as refused,
        directory_lock(tmp_path, "button run"),
    ):
        raise AssertionError("a second command took a held lock")
    assert f"another button run is using this directory (pid {os.getpid()})" in str(refused.value)


def test_a_holder_that_has_not_yet_written_its_pid_is_named_once_it_has(tmp_path: Path) -> None:
    holder = os.open(tmp_path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def write_pid_late() -> None:
        time.sleep(0.05)
        os.pwrite(holder, b"4242\n", 0)

    writer = threading.Thread(target=write_pid_late)
    writer.start()
    try:
        with pytest.raises(ConfigError, match=r"\(pid 4242\)"), directory_lock(tmp_path, "button run"):
            raise AssertionError("a second command took a held lock")
    finally:
        writer.join()
        os.close(holder)


def test_the_lock_is_free_again_when_its_holder_is_done(tmp_path: Path) -> None:
    with directory_lock(tmp_path, "button run"):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    with directory_lock(tmp_path, "button run"):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
