"""Stopping the embedded server waits for the process off the event loop (no model needed:
the process is a stand-in that takes a second to exit after SIGTERM, as llama.cpp can)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from button.embedded.model_server import EmbeddedServer
from tests.conftest import ticks_while

SLOW_TO_EXIT = """\
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (time.sleep(1.0), sys.exit(0)))
print("ready", flush=True)
time.sleep(60)
"""


async def test_a_server_slow_to_exit_is_waited_for_off_the_loop() -> None:
    server = EmbeddedServer()
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_TO_EXIT], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    server.process = process
    stopping = asyncio.ensure_future(server.aclose())
    ticks = await ticks_while(stopping)
    await stopping
    assert process.returncode == 0  # it exited on SIGTERM, after its second
    assert ticks >= 50  # the loop ran meanwhile; a blocking stop would give none
    process.stdout.close()
