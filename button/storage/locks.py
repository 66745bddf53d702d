"""An exclusive lock on an output directory, so two commands never write one place.

``directory_lock(dir, what)`` holds ``fcntl.flock(LOCK_EX | LOCK_NB)`` on
``dir/.lock`` while its ``with`` block runs. The kernel releases the lock when
the process ends, even by SIGKILL, so a stale lock file never blocks a rerun.
The file holds the owner's pid, to name it when another process is refused.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from button.errors import ConfigError, RunFileError

LOCK_FILE = ".lock"
PID_WAIT_S = 1.0  # the owner writes its pid just after it takes the lock


@contextmanager
def directory_lock(directory: Path, what: str) -> Iterator[None]:
    """Hold ``directory``'s lock (creating the directory); ``what`` names the command that holds it."""
    path = directory / LOCK_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFileError(f"cannot create: {error.strerror or error}", where=str(directory)) from error
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise RunFileError(
            f"cannot open the lock file: {error.strerror or error}", where=str(path)
        ) from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(descriptor)
            raise ConfigError(
                f"another {what} is using this directory (pid {owner})", where=str(directory)
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def _owner(descriptor: int) -> str:
    """The pid in a lock file another process holds, waiting the instant between its lock and
    its write of the pid."""
    deadline = time.monotonic() + PID_WAIT_S
    while True:
        owner = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        if owner or time.monotonic() > deadline:
            return owner or "unknown"
        time.sleep(0.01)
