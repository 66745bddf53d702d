"""Keys never land in files or on the screen: a key in a base URL, the API key, a 401 echoing it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import BUTTON, TASKS_FILE
from tests.harness.scripted_openai import Reply, ScriptedOpenAI, is_user_request, say, user_turn

URL_KEY = "sk-url-key-0123456789"
API_KEY = "sk-env-key-9876543210"


def run(server: ScriptedOpenAI, out: Path, tools_url: str) -> subprocess.CompletedProcess[str]:
    base = server.base_url.replace("http://", f"http://user:{URL_KEY}@")
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "BUTTON_ASSISTANT_BASE_URL": base, "BUTTON_USER_BASE_URL": base,
           "BUTTON_ASSISTANT_MODEL": "m", "BUTTON_USER_MODEL": "m"}  # fmt: skip
    return subprocess.run(
        [BUTTON, "run", str(TASKS_FILE), "--out", str(out), "--mcp-url", tools_url, "--allow-missing-tools",
         "--task", "travel.flight_then_hotel", "--max-turns", "1", "--assistant-retries", "0"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def everything_written(out: Path) -> str:
    return "".join(
        path.read_text(errors="replace")
        for path in out.rglob("*")
        if path.is_file() and path.suffix != ".sqlite"
    )


def test_a_key_in_the_base_url_is_not_written_or_printed(tmp_path: Path, tools_url: str) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        return user_turn("Find the flight.", stop=False) if is_user_request(body) else say("Done.")

    out = tmp_path / "run"
    with ScriptedOpenAI(answer) as server:
        done = run(server, out, tools_url)
    assert done.returncode == 0, done.stderr
    written = everything_written(out)
    assert "user:" not in written and URL_KEY not in written and API_KEY not in written
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["endpoints"]["assistant"]["base_url"].startswith("http://***@127.0.0.1:")
    assert URL_KEY not in done.stdout + done.stderr


def test_a_401_that_echoes_the_key_is_recorded_and_printed_without_it(tmp_path: Path, tools_url: str) -> None:
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {API_KEY} (url key {URL_KEY})"}})

    def answer(body: dict[str, Any]) -> Reply:
        if is_user_request(body):
            return user_turn("Find the flight.", stop=False)
        return Reply(status=401, raw=echo.encode())

    out = tmp_path / "run"
    with ScriptedOpenAI(answer) as server:
        done = run(server, out, tools_url)
    assert done.returncode == 1
    assert "401 - Incorrect API key provided: *** (url key ***)" in done.stderr
    written = everything_written(out)
    assert "401 - Incorrect API key provided: *** (url key ***)" in written
    for secret in (API_KEY, URL_KEY):
        assert secret not in written and secret not in done.stdout + done.stderr
