"""Stopping on SIGINT or SIGTERM: one line, exit code 128 + the signal's number, nothing lost.

A signal stops the command's work where it is: a plain command gets
``Stopped`` raised where it runs, an async one (``run_async``) has its task
cancelled, so context managers unwind, servers stop and files close. What is
already written stays: records are appended and fsynced one at a time, whole
files replaced atomically, so a rerun continues where the stop left off.

Libraries log their own view of that unwinding (uvicorn's cancelled ASGI
requests, the MCP client's broken SSE stream, asyncio's pending tasks): once a
stop has begun, logging and the hooks that print ignored exceptions are
muted, so ``button.cli.main`` prints the only line, ``interrupted by SIGTERM: ...``.
``--debug`` keeps them. A second signal while the work unwinds ends the
process at once (the records on disk are whole up to their last line, and a
torn last line is repaired on the next open).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived; the command unwinds and exits with ``exit_code``.

    A ``KeyboardInterrupt``, so libraries treat it as they treat Ctrl-C, and no
    ``except Exception`` on the way out catches it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def line(self) -> str:
        return f"interrupted by {self.name}: stopped cleanly; what was finished is kept"


@dataclass
class _State:
    installed: bool = False
    debug: bool = False
    stopping: int | None = None  # the signal that began the stop


_state = _State()


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM stop the command (see the module docstring).

    Only the main thread can take signals; elsewhere (a CLI called in a thread
    by a test) the block runs as it is. The handlers and logging are restored after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    _state.installed, _state.debug, _state.stopping = True, False, None
    for signum in SIGNALS:
        signal.signal(signum, _raise_stopped)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if _state.stopping is not None and not _state.debug:
            logging.disable(logging.NOTSET)
            sys.unraisablehook, threading.excepthook = sys.__unraisablehook__, threading.__excepthook__
        _state.installed, _state.stopping = False, None


def set_debug(debug: bool) -> None:
    """``--debug``: let the libraries' own reports of a stop through."""
    _state.debug = debug


def run_async(coroutine: Coroutine[Any, Any, int | None]) -> int | None:
    """Run a command's coroutine on one event loop; a stop signal cancels it, then ``Stopped``."""
    return asyncio.run(_stoppable(coroutine))


async def _stoppable(coroutine: Coroutine[Any, Any, int | None]) -> int | None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    takes_signals = _state.installed and threading.current_thread() is threading.main_thread()

    def on_signal(signum: int) -> None:
        _begin_stop(signum)
        task.cancel()

    if takes_signals:
        for signum in SIGNALS:
            loop.add_signal_handler(signum, on_signal, signum)
    try:
        return await coroutine
    except asyncio.CancelledError:
        if _state.stopping is not None:
            raise Stopped(_state.stopping) from None
        raise
    finally:
        if takes_signals:
            for signum in SIGNALS:
                loop.remove_signal_handler(signum)  # leaves the default handler behind
                signal.signal(signum, _raise_stopped)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    _begin_stop(signum)
    raise Stopped(signum)


def _begin_stop(signum: int) -> None:
    """Mute the unwinding's noise; on a second signal, end the process now."""
    if _state.stopping is not None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stderr.write(f"interrupted by {signal.Signals(signum).name} again: stopped at once\n")
        sys.stderr.flush()
        os._exit(128 + signum)
    _state.stopping = signum
    if not _state.debug:
        logging.disable(logging.CRITICAL)
        sys.unraisablehook = _ignore
        threading.excepthook = _ignore


def _ignore(_: object) -> None:
    """Drops an exception a library reports while the command unwinds after a stop."""
