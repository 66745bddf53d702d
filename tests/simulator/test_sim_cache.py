"""SimCache on real SQLite files that another connection locks or damages.

The cache only saves model calls: a lock held too long or a damaged row is a
miss (or an unkept result) with a warning, and the event loop keeps running
while a read or write waits for a lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from button.errors import ConfigError, ToolServerError
from simulator.sim_cache import SimCache
from tests.conftest import ticks_while

WAIT_S = 0.5  # the busy timeout used here: short, so the tests stay fast


async def test_a_write_under_another_connections_lock_is_passed_over_without_stalling_the_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cache.sqlite"
    cache = SimCache(path, busy_timeout_s=WAIT_S)
    await cache.put("before", {"price": 1})
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        write = asyncio.ensure_future(cache.put("during", {"price": 2}))
        ticks = await ticks_while(write)
        await write  # no exception: the result is just not kept
        waited = time.monotonic() - started
        assert waited >= WAIT_S * 0.8 and ticks >= 10  # the loop ran while the write waited
        assert await cache.get("before") == (True, {"price": 1})  # WAL: reads go on meanwhile
    finally:
        other.execute("ROLLBACK")
        other.close()
    warning = capsys.readouterr().err
    assert warning.startswith(f"warning: {path}: simulator cache write failed (the result is not kept): ")
    assert "locked" in warning and cache.failures == 1
    assert await cache.get("during") == (False, None)
    await cache.put("during", {"price": 2})  # the lock is gone: writes work again
    assert await cache.get("during") == (True, {"price": 2})
    cache.close()


async def test_a_damaged_row_is_a_miss_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cache.sqlite"
    cache = SimCache(path, busy_timeout_s=WAIT_S)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("INSERT INTO results (key, value, created) VALUES ('k', '{\"price\": 1', 0)")
    other.close()
    assert await cache.get("k") == (False, None)
    assert await cache.get("k") == (False, None)
    assert cache.stats() == {"hits": 0, "misses": 2} and cache.failures == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "simulator cache read failed (counted as a miss)" in lines[0]
    cache.close()


def test_a_cache_another_process_keeps_locked_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    SimCache(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ToolServerError, match="locked by another process") as caught:
            SimCache(path, busy_timeout_s=WAIT_S)
        assert caught.value.where == str(path)
    finally:
        other.close()


async def test_opening_waits_for_the_lock_off_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    await (await SimCache.open(path)).aclose()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        opening = asyncio.ensure_future(SimCache.open(path, busy_timeout_s=WAIT_S))
        ticks = await ticks_while(opening)
        with pytest.raises(ToolServerError, match="locked by another process"):
            await opening
        assert ticks >= 10  # the loop ran while the open waited for the lock
    finally:
        other.close()
    cache = await SimCache.open(path)  # the lock is gone
    await cache.put("k", 1)
    assert await cache.get("k") == (True, 1)
    await cache.aclose()


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_text("not a database\n" * 100)
    with pytest.raises(ConfigError, match="cannot open the simulator cache"):
        SimCache(path)
