"""The embedded model's server process: started on a free loopback port, stopped at exit.

``EmbeddedServer`` resolves the model's verified GGUF file
(``button.embedded.model_files``), runs ``button.embedded.launcher`` (llama-cpp-python's
OpenAI-compatible server with our chat handler) on 127.0.0.1, waits until it
answers, and stops it at exit. Its output goes to a log file that every
start-up error points at.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from button.embedded.catalog import EmbeddedModel, embedded_model
from button.embedded.model_files import model_file
from button.errors import EmbeddedModelError

START_TIMEOUT_S = 180.0
PORT_ATTEMPTS = 5
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _die_with_parent() -> None:
    """Linux: have the kernel stop the server when the command that started it dies,
    even by SIGKILL, so no orphaned server outlives a killed run."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedServer:
    """One llama.cpp server process on loopback; use as ``async with``."""

    def __init__(
        self, model: EmbeddedModel | None = None, port: int | None = None, n_ctx: int = 8192
    ) -> None:
        self.model = model or embedded_model()
        self.requested_port = port
        self.n_ctx = n_ctx
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.gettempdir()) / f"button-llama-{os.getpid()}-{id(self)}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> str:
        """Start the server and return its base URL once it answers."""
        model = await asyncio.to_thread(model_file, self.model)
        attempts = 1 if self.requested_port else PORT_ATTEMPTS
        for _ in range(attempts):
            # A port found free can be taken by another command before our
            # server binds it; then the server exits and we try a new port.
            self.port = self.requested_port or free_port()
            self._spawn(model)
            if await self._wait_ready():
                return self.base_url
            if "address already in use" not in self._log_tail().lower():
                break
        self._kill_keeping_log()
        raise EmbeddedModelError(
            f"the llama.cpp server did not start (see its log: {self.log_path})",
            where="embedded model",
        )

    def _spawn(self, model: Path) -> None:
        command = [
            sys.executable, "-m", "button.embedded.launcher",
            "--model", str(model),
            "--alias", self.model.name,
            "--port", str(self.port),
            "--n-ctx", str(self.n_ctx),
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip

    async def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            if await asyncio.to_thread(self._answers):
                # Another server on this port could answer for a dead one of ours.
                return self.process.poll() is None
            await asyncio.sleep(0.25)
        return False

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                return bool(json.load(response).get("data"))
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_error(self) -> EmbeddedModelError:
        """The error to raise once the server has died under us."""
        code = self.process.returncode if self.process is not None else None
        return EmbeddedModelError(
            f"the llama.cpp server exited (code {code}; see its log: {self.log_path})",
            where="embedded model",
        )

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _kill_keeping_log(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    async def aclose(self) -> None:
        """``stop`` in a worker thread: the server may take up to 10 s to exit."""
        await asyncio.to_thread(self.stop)

    def stop(self) -> None:
        """Stop the server; its log is kept only if the server failed. Blocks until it is gone
        (from a coroutine, use ``aclose``)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self.log_path.unlink(missing_ok=True)

    async def __aenter__(self) -> EmbeddedServer:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
