"""A persistent cache of simulated tool results (SQLite).

The key is a hash of everything that shapes a result: the tool model's name,
the prompts, the function spec, the task context, the canonical arguments and
the episode's earlier calls (see ``ToolSimulator.cache_key``). The same call in
the same context gives the same result, and a warm rerun makes no model call.

The default file is ``.button/cache.sqlite`` under the current directory for
``button serve``; the harness keeps its cache in the run directory. Several
processes may share one file (WAL mode). Opening (``SimCache.open``), reads,
writes and closing run in a worker thread, so a lock held by another process
never stalls the event loop, and they wait at most ``busy_timeout_s`` for it. The cache only saves model calls:
when a read or write fails (locked too long, a damaged row or file) the call
counts as a miss, a warning goes to stderr, and the simulator asks the model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

from button.errors import ConfigError, ToolServerError

DEFAULT_CACHE_PATH = Path(".button") / "cache.sqlite"
BUSY_TIMEOUT_S = 2.0  # how long one read or write waits for another process's lock


def canonical_json(value: Any) -> str:
    """One spelling per JSON value: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class SimCache:
    """Maps a key (a hex digest) to a JSON value; counts hits and misses."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        self.failures = 0  # reads and writes that failed and were passed over
        self._warned: set[str] = set()
        self._lock = threading.Lock()  # one worker thread at a time on the connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL)"
            )
        except (OSError, sqlite3.Error) as error:
            if isinstance(error, sqlite3.Error) and _locked(error):
                raise ToolServerError(
                    f"the simulator cache stayed locked by another process for {busy_timeout_s:g} s",
                    where=str(self.path),
                ) from error
            raise ConfigError(f"cannot open the simulator cache: {error}", where=str(self.path)) from error

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> SimCache:
        """The cache at ``path``, opened in a worker thread (creating the file and its table
        waits for another process's lock)."""
        return await asyncio.to_thread(cls, path, busy_timeout_s=busy_timeout_s)

    async def aclose(self) -> None:
        """``close`` in a worker thread: it waits for a read or write in flight."""
        await asyncio.to_thread(self.close)

    async def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` on a hit, ``(False, None)`` on a miss or a failed read."""
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, value: Any) -> None:
        """Keep a result; a failed write is passed over with a warning."""
        await asyncio.to_thread(self._put, key, canonical_json(value))

    def _get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            try:
                row = self.db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
                found = (True, json.loads(row[0])) if row is not None else (False, None)
            except (sqlite3.Error, ValueError) as error:
                self._warn("read failed (counted as a miss)", error)
                found = (False, None)
            if found[0]:
                self.hits += 1
            else:
                self.misses += 1
            return found

    def _put(self, key: str, text: str) -> None:
        with self._lock:
            try:
                self.db.execute(
                    "INSERT OR REPLACE INTO results (key, value, created) VALUES (?, ?, ?)",
                    (key, text, time.time()),
                )
            except sqlite3.Error as error:
                self._warn("write failed (the result is not kept)", error)

    def _warn(self, what: str, error: Exception) -> None:
        """One warning per distinct problem: a file that stays broken does not flood stderr."""
        self.failures += 1
        text = f"warning: {self.path}: simulator cache {what}: {error}"
        if text not in self._warned:
            self._warned.add(text)
            print(text, file=sys.stderr, flush=True)

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}

    def close(self) -> None:
        with self._lock:
            self.db.close()


def _locked(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (any extended code): another connection holds the lock."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
