"""``button synth`` against a scripted OpenAI-compatible HTTP server.

The server answers by the schema's title (one per prompt) with canned JSON that
depends on the prompt's text, so the pipeline's deterministic logic is tested
for real: dependency shapes and plans, where rows are dropped and why, and
resuming after a kill without redoing finished rows.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from button.cli.main import main
from button.validation.taskfile import load_tasks
from simulator.synthesis.stage_context import row_seed

SCENARIOS = """\
# three scenarios
A consultant in Chicago is arranging a trip to a workshop in Denver.
A student in Madrid is comparing two apartments near her university.
A bakery owner in Leeds is ordering flour from two suppliers.
"""

ATOMIC = {
    "Chicago": [
        "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08.",
        "Use the flights API to find a flight to Denver tomorrow.",  # talks about tools
        "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-09.",  # near-duplicate
    ],
    "Madrid": [
        "Get the monthly rent of the apartment at Calle Mayor 12, Madrid.",
        "Call the getRent service for Calle Mayor 12.",  # names an identifier
        "Get the distance from Calle Mayor 12 to the Complutense University and plan the route.",  # two calls
    ],
    "Leeds": [
        "Get the price of 25 kg of flour from Millers Ltd in Leeds.",
        "find some good flour for the bakery please",  # no concrete detail
        "Get the delivery dates of Hale Mills in Leeds for this week.",
    ],
    "*": ["Call getWeather for Oslo on 2026-12-08, please.", "Use the forecast API for Oslo tomorrow."],
}
COMPOSE = {
    "cheapest nonstop flight": {"next_task": "Find a hotel in the arrival city of that flight for 2 nights."},
    "Calle Mayor 12": {
        "parallel_task": "Get the monthly rent of the apartment at Calle de Alcala 40, Madrid.",
        "final_task": "Book a viewing of the cheaper of the two apartments on 2026-12-01.",
    },
    "Millers Ltd": {"next_task": "Order that flour for delivery to the bakery on 2026-12-10."},
    "Hale Mills": {"next_task": "Tell me which supplier delivers first."},  # sequential: the 9th atomic task
}
# The first try of the flight's composition repeats the request (a rule drops it); the second,
# sampled with the seeds of the row's second try, is COMPOSE's.
FIRST_TRY = row_seed(0, "sc0.a0.seq", "compose_seq")
REPEATED = {"next_task": "Find the cheapest nonstop flight from Chicago to Denver on 2026-12-08 please."}
# Likewise the first instruction written for the apartments leaves out the viewing.
FIRST_INSTRUCTION = row_seed(0, "sc1.a0.pts", "instruction")
# And the first hotel function asks for 3 nights where the task says two.
FIRST_FUNCTIONS = row_seed(0, "sc0.a0.seq", "function")


def _param(name: str, kind: str, source: str = "task", value: str = "") -> dict[str, str]:
    return {"name": name, "type": kind, "description": f"the {name}", "source": source, "value": value}


def _returns(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "type": "string", "description": f"the {n}"} for n in names]


RENT = {"name": "get_rent", "description": "Get the monthly rent of a listed apartment."}
FUNCTIONS = {
    "cheapest nonstop flight": {
        "name": "search_flights",
        "description": "Search flights between two airports on a date.",
        "parameters": [_param("origin", "string", value="Chicago"), _param("destination", "string", value="Denver"),
                       _param("date", "string", value="2026-12-08")],
        "returns": _returns("flight_number", "arrival_city"),
    },
    "hotel in the arrival city": {
        "name": "search_hotels",
        "description": "Search hotels in a city for a number of nights.",
        "parameters": [_param("city", "string", "s1.arrival_city"), _param("nights", "integer", value="2")],
        "returns": _returns("hotel_id", "name"),
    },
    "Calle Mayor 12": {**RENT, "parameters": [_param("address", "string", value="Calle Mayor 12, Madrid")],
                       "returns": _returns("listing_id", "rent")},
    "Calle de Alcala 40": {**RENT, "parameters": [_param("address", "string", value="Calle de Alcala 40, Madrid")],
                           "returns": _returns("listing_id", "rent")},
    "viewing": {
        "needs_tool": True,
        "name": "book_viewing",
        "description": "Book a viewing of the cheaper of two listed apartments.",
        "parameters": [_param("listing_a", "string", "s1.listing_id"), _param("listing_b", "string", "s2.listing_id"),
                       _param("date", "string", value="2026-12-01")],
        "returns": _returns("booking_id"),
    },
    "Millers Ltd": {
        "name": "get_price",
        "description": "Get the price of a product from a supplier.",
        "parameters": [_param("quantity_kg", "integer", value="50")],  # 50 is not in the task
        "returns": _returns("price"),
    },
}  # fmt: skip


def _pick(table: dict[str, Any], text: str) -> Any:
    return next(value for key, value in table.items() if key in text or key == "*")


def answer(title: str, user: str, schema: dict[str, Any], seed: int | None) -> dict[str, Any]:
    if title == "synth_scenario":
        return {"scenario": "A family in Oslo is planning a ski weekend in Lillehammer in January."}
    if title == "synth_atomic":
        return {"tasks": _pick(ATOMIC, user.split("Scenario: ")[-1])}
    if title == "synth_atomic_verify":
        calls = ["look up the distance", "plan the route"] if "distance" in user else ["one call"]
        return {"calls": calls, "ask": []}
    if title in {"synth_compose_seq", "synth_compose_pts"}:
        return REPEATED if seed == FIRST_TRY else dict(_pick(COMPOSE, user.split("First request: ")[-1]))
    steps = re.findall(r"^s\d: (.*?)(?: \(uses the result of .*\))?$", user, re.MULTILINE)
    if title == "synth_compose_verify":
        unknown = "the address to deliver to" if "delivers first" in user else "nothing"
        return {"steps": [{"id": "s1", "gets_from_earlier": "", "still_unknown": "nothing"},
                          {"id": "s2", "gets_from_earlier": "the result", "still_unknown": unknown}]}  # fmt: skip
    if title == "synth_instruction":
        if seed == FIRST_INSTRUCTION:
            return {"instruction": "Please help me. " + " Then ".join(steps[:-1])}
        return {"instruction": "Please help me. " + " Then ".join(steps)}
    if title == "synth_function":
        step = user.split("Step: ")[-1].split("\n")[0]
        form = dict(_pick(FUNCTIONS, step))
        if seed == FIRST_FUNCTIONS and "hotel" in step:
            form["parameters"] = [form["parameters"][0], _param("nights", "integer", value="3")]
        allowed = schema["properties"]["parameters"]["items"]["properties"]["source"]["enum"]
        assert all(p["source"] in allowed for p in form["parameters"]), (form, allowed)
        if "needs_tool" in schema["properties"]:
            form.setdefault("needs_tool", True)
        else:
            form.pop("needs_tool", None)
        return form
    raise AssertionError(f"unexpected prompt {title}")


class ScriptedModel:
    """A real HTTP server speaking the OpenAI chat completions API."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.requests: list[str] = []
        self.asked: list[tuple[str, str]] = []  # (schema title, the request's last message)
        self.delay_s = delay_s
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                """Quiet: no access log on stderr."""

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fmt = body["response_format"]
                schema = fmt["json_schema"]["schema"] if fmt["type"] == "json_schema" else fmt["schema"]
                user = body["messages"][-1]["content"]
                scripted.requests.append(schema["title"])
                scripted.asked.append((schema["title"], user))
                time.sleep(scripted.delay_s)
                content = json.dumps(answer(schema["title"], user, schema, body.get("seed")))
                reply = {
                    "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }  # fmt: skip
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def synth_args(tmp_path: Path, url: str, out: str = "tasks.jsonl") -> list[str]:
    scenarios = tmp_path / "scenarios.txt"
    scenarios.write_text(SCENARIOS)
    return [
        "synth", "--scenarios", str(scenarios), "--out", str(tmp_path / out), "--tasks-per-scenario", "3",
        "--synth-base-url", url, "--synth-model", "scripted",
    ]  # fmt: skip


def report(tmp_path: Path, out: str = "tasks.jsonl") -> dict[str, dict[str, Any]]:
    rows = json.loads((tmp_path / f"{out}.work" / "report.json").read_text())
    return {row["stage"]: row for row in rows}


def test_shapes_plans_and_drops(tmp_path: Path, scripted: ScriptedModel, capsys: Any) -> None:
    assert main(synth_args(tmp_path, scripted.url)) == 0
    # stderr is not a terminal here (a batch job's log): a line a stage, no live bar
    logged = [line for line in capsys.readouterr().err.splitlines() if line.startswith("stage ")]
    assert len(logged) == 7 and "stage 3 atomic verification: 9 in, 4 kept, 5 dropped (0 reused)" in logged
    tasks = {task.id: task for task in load_tasks(tmp_path / "tasks.jsonl")}
    assert sorted(tasks) == ["synth.sc0.a0.seq", "synth.sc1.a0.pts"]

    seq = tasks["synth.sc0.a0.seq"]
    assert [(s.id, s.depends_on, s.function) for s in seq.subtasks] == [
        ("s1", [], "search_flights"),
        ("s2", ["s1"], "search_hotels"),
    ]
    plan = [[(c.id, c.name, c.arguments) for c in group] for group in seq.plan or []]
    assert plan == [
        [("c1", "search_flights", {"origin": "Chicago", "destination": "Denver", "date": "2026-12-08"})],
        [("c2", "search_hotels", {"city": {"from": "c1.arrival_city"}, "nights": 2})],
    ]
    hotels = seq.function("search_hotels")
    assert hotels is not None and hotels.function.parameters["properties"]["nights"]["type"] == "integer"

    pts = tasks["synth.sc1.a0.pts"]
    assert [(s.id, s.depends_on) for s in pts.subtasks] == [("s1", []), ("s2", []), ("s3", ["s1", "s2"])]
    assert [f.name for f in pts.functions] == ["get_rent", "book_viewing"]  # one function, two calls
    groups = [[(c.id, c.name) for c in group] for group in pts.plan or []]
    assert groups == [[("c1", "get_rent"), ("c2", "get_rent")], [("c3", "book_viewing")]]
    assert pts.plan is not None and pts.plan[1][0].arguments == {
        "listing_a": {"from": "c1.listing_id"},
        "listing_b": {"from": "c2.listing_id"},
        "date": "2026-12-01",
    }

    stages = report(tmp_path)
    assert stages["atomic_verify"]["in"] == 9 and stages["atomic_verify"]["kept"] == 4
    assert stages["atomic_verify"]["why"] == {
        "rule: names a tool or identifier": 2,
        "near-duplicate": 1,
        "rule: no concrete detail": 1,
        "model: needs more than one call": 1,
    }
    assert stages["compose_verify"]["why"] == {"model: subtasks incomplete": 1}
    assert stages["functions"]["why"] == {"rule: argument not in task": 1}
    # a refused composition is written again with the row's next seeds, and kept
    assert (stages["compose"]["kept"], stages["compose"]["kept_after_retry"]) == (4, 1)
    # refused functions are written three times (--tries), then the row is dropped ...
    millers = [user for title, user in scripted.asked if title == "synth_function" and "Millers Ltd" in user]
    assert len(millers) == 3
    # ... each try after the first told why the last was refused
    refused = "An earlier answer to this was refused: the value 50 is not written in the task"
    assert [refused in user for user in millers] == [False, True, True]
    # a refused step is written again, and the steps before it are kept, not written again
    steps = [
        user.split("Step: ")[-1].split("\n")[0] for title, user in scripted.asked if title == "synth_function"
    ]
    flight, hotel = "Find the cheapest nonstop flight from Chicago", "Find a hotel in the arrival city"
    assert (sum(flight in step for step in steps), sum(hotel in step for step in steps)) == (1, 2)
    assert stages["functions"]["kept_after_retry"] == 1
    # ... but a model's verdict is asked once: the instruction is written again, not the verdict
    apartments = [title for title, user in scripted.asked if "Calle de Alcala 40" in user]
    assert (apartments.count("synth_compose_verify"), apartments.count("synth_instruction")) == (1, 2)
    assert stages["compose_verify"]["kept_after_retry"] == 1
    assert (stages["plan"]["in"], stages["plan"]["kept"]) == (2, 2)
    # a rerun with the same config finds every row done and asks the model nothing
    before = len(scripted.requests)
    assert main(synth_args(tmp_path, scripted.url)) == 0
    assert len(scripted.requests) == before
    assert report(tmp_path)["compose"]["reused"] == 4


def test_changed_config_refuses_to_resume(tmp_path: Path, scripted: ScriptedModel, capsys: Any) -> None:
    assert main(synth_args(tmp_path, scripted.url)) == 0
    assert main([*synth_args(tmp_path, scripted.url), "--seed", "7"]) == 2
    err = capsys.readouterr().err
    assert "config changed since this work was started (seed: 0 -> 7)" in err and "--force-new" in err
    assert main([*synth_args(tmp_path, scripted.url), "--seed", "7", "--force-new"]) == 0


def test_resume_after_kill_redoes_nothing_finished(tmp_path: Path) -> None:
    model = ScriptedModel(delay_s=0.1)
    try:
        assert main(synth_args(tmp_path, model.url, out="full.jsonl")) == 0
        full = len(model.requests)
        model.requests.clear()
        command = [
            sys.executable,
            "-m",
            "button.cli.main",
            *synth_args(tmp_path, model.url),
            "--concurrency",
            "1",
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(model.requests) < full // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = len(model.requests)
        assert 0 < killed < full
        model.requests.clear()
        assert subprocess.run(command, capture_output=True).returncode == 0
        resumed = len(model.requests)
        # at most the calls of the one row in flight at the kill are asked again
        assert resumed < full and killed + resumed <= full + 3
        assert (tmp_path / "tasks.jsonl").read_text() == (tmp_path / "full.jsonl").read_text()
    finally:
        model.close()


async def test_synthesized_task_serves_over_mcp(tmp_path: Path, scripted: ScriptedModel) -> None:
    import asyncio
    import os

    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    assert await asyncio.to_thread(main, synth_args(tmp_path, scripted.url)) == 0
    env = {**os.environ, "BUTTON_TOOL_BASE_URL": scripted.url, "BUTTON_TOOL_MODEL": "scripted"}
    args = ["-m", "button.cli.main", "serve", str(tmp_path / "tasks.jsonl"), "--task", "synth.sc1.a0.pts"]
    async with Client(StdioTransport(sys.executable, args, env=env)) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
    assert sorted(tools) == ["book_viewing", "get_rent"]
    assert tools["book_viewing"].output_schema is not None
    assert tools["book_viewing"].input_schema["required"] == ["listing_a", "listing_b", "date"]


def test_generated_scenarios_and_zero_yield(tmp_path: Path, scripted: ScriptedModel, capsys: Any) -> None:
    out = tmp_path / "gen.jsonl"
    args = ["synth", "--n-scenarios", "3", "--tasks-per-scenario", "2", "--out", str(out)]
    assert main([*args, "--synth-base-url", scripted.url, "--synth-model", "scripted"]) == 0
    assert scripted.requests.count("synth_scenario") == 3
    stages = report(tmp_path, "gen.jsonl")
    assert stages["scenarios"]["why"] == {"near-duplicate": 2}  # the scripted model repeats itself
    assert stages["atomic_verify"]["why"] == {"rule: names a tool or identifier": 2}
    assert stages["plan"]["kept"] == 0 and out.read_text() == ""
    assert "no task survived" in capsys.readouterr().err
